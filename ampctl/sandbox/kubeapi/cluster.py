"""Everything one emulated cluster owns: its store, controller, logs, service backends and counters."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from ampctl.sandbox.kubeapi.controller import Controller
from ampctl.sandbox.kubeapi.logs import PodLogs
from ampctl.sandbox.kubeapi.profile import LEGACY, ClusterProfile
from ampctl.sandbox.kubeapi.proxy import ServiceBackends
from ampctl.sandbox.kubeapi.store import ObjectStore

VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


COORDINATION = "/apis/coordination.k8s.io/"


class RequestCounter:
    """Requests served, by HTTP verb, and the last RECENT of them (bounded memory)."""

    RECENT = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._recent: deque[dict[str, Any]] = deque(maxlen=self.RECENT)

    def add(self, verb: str, path: str = "", content_type: str = "", status: int = 0) -> None:
        key = verb if verb in VERBS else "OTHER"
        if path.startswith(COORDINATION):  # a run's Lease: coordination, not a change of the cluster's state
            key = "LEASE " + key
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            self._recent.append({"method": key, "path": path, "contentType": content_type, "status": status})

    def recent(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._recent)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
            self._recent.clear()


class Cluster:
    def __init__(self, name: str, profile: ClusterProfile = LEGACY) -> None:
        self.name = name
        self.profile = profile
        self.store = ObjectStore(name, profile=profile)
        self.controller = Controller(self.store)
        self.store.reset()  # the fresh objects once more, now reconciled: the EBS CSI controller comes up ready
        self.logs = PodLogs()
        self.backends = ServiceBackends()
        self.requests = RequestCounter()
        self.address = ""  # host:port once serving
        self.on_tick: Callable[[], None] | None = None  # what else changes with time (set by the sandbox)

    def reset(self) -> None:
        self.store.reset()
        self.logs.clear()
        self.backends.clear()
        self.requests.clear()
