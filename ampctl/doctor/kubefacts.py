"""Kubernetes reads of one cluster (cached), and helpers to look into the objects read."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ampctl.clients import ClusterClients
    from ampctl.doctor.options import DoctorOptions
    from ampctl.kube.client import Kube
    from ampctl.target import Target


class KubeReads:
    """GETs and LISTs in the Kubecost namespace, each made once."""

    target: Target
    options: DoctorOptions
    clients: ClusterClients

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def once(self, key: str, read: Any) -> Any:
        """Read once: a second caller, in this thread or another, waits for the first and gets its answer."""
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._cache:
                self._cache[key] = read()
            return self._cache[key]

    def forget(self, prefix: str) -> None:
        """Read again, next time, what was read under keys starting with `prefix`."""
        with self._lock:
            for key in [k for k in self._cache if k.startswith(prefix)]:
                del self._cache[key]

    @property
    def namespace(self) -> str:
        return self.options.namespace

    @property
    def kube(self) -> Kube:
        return self.clients.kube

    def deployment(self, name: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.once(
            f"deploy:{name}", lambda: self.kube.read("deployment", self.namespace, name, group="apps")
        )
        return found

    def pods(self, deployment: dict[str, Any]) -> list[dict[str, Any]]:
        match = (deployment.get("spec", {}).get("selector") or {}).get("matchLabels") or {}
        if not match:
            return []
        selector = ",".join(f"{k}={v}" for k, v in sorted(match.items()))
        pods: list[dict[str, Any]] = self.once(
            f"pods:{selector}", lambda: self.kube.list("pod", self.namespace, selector)
        )
        return [p for p in pods if not p["metadata"].get("deletionTimestamp")]

    def service_account(self, name: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.once(
            f"sa:{name}", lambda: self.kube.read("service_account", self.namespace, name)
        )
        return found


def pod_template(deployment: dict[str, Any] | None) -> dict[str, Any]:
    return dict(((deployment or {}).get("spec", {}).get("template") or {}).get("spec") or {})


def container(spec: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((c for c in spec.get("containers") or [] if c.get("name") == name), None)
