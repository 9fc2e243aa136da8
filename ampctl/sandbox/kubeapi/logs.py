"""Container logs, as the kubelet would serve them through `pods/log`."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from ampctl.sandbox.kubeapi.admission import now
from ampctl.sandbox.kubeapi.status import bad_request

MAX_LINES = 5000


class PodLogs:
    """The last MAX_LINES lines of each container, with the time each was appended."""

    def __init__(self, max_lines: int = MAX_LINES) -> None:
        self._lock = threading.Lock()
        self._max = max_lines
        self._lines: dict[tuple[str, str, str], deque[tuple[str, str]]] = {}

    def append(self, namespace: str, pod: str, container: str, line: str) -> None:
        with self._lock:
            lines = self._lines.setdefault((namespace, pod, container), deque(maxlen=self._max))
            for part in line.rstrip("\n").split("\n"):
                lines.append((now(), part))

    def clear(self) -> None:
        with self._lock:
            self._lines.clear()

    def read(
        self,
        namespace: str,
        pod: str,
        container: str,
        tail: int | None = None,
        timestamps: bool = False,
        limit_bytes: int | None = None,
    ) -> bytes:
        with self._lock:
            lines = list(self._lines.get((namespace, pod, container), ()))
        if tail is not None and tail >= 0:
            lines = lines[-tail:] if tail else []
        text = "".join(f"{stamp} {line}\n" if timestamps else f"{line}\n" for stamp, line in lines)
        data = text.encode()
        return data[:limit_bytes] if limit_bytes is not None and limit_bytes >= 0 else data


def pick_container(pod: dict[str, Any], wanted: str | None) -> str:
    """The container a log request means, with the real API's errors."""
    spec = pod.get("spec") or {}
    name = pod["metadata"]["name"]
    containers = [c.get("name", "") for c in spec.get("containers") or []]
    others = [c.get("name", "") for c in (spec.get("initContainers") or []) + (spec.get("ephemeralContainers") or [])]
    if wanted:
        if wanted not in containers + others:
            raise bad_request(f"container {wanted} is not valid for pod {name}")
        return wanted
    if len(containers) == 1:
        return containers[0]
    default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    if default in containers:
        return str(default)
    raise bad_request(f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]")
