"""Watching a release's namespace while helm waits: a cause that persists is reported at once as one error, instead
of helm's "timed out" after --timeout (10 minutes by default)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ampctl.errors import AmpctlError
from ampctl.kube.trouble import Cause, claim_causes, pod_causes

PERSIST_SECONDS = 25.0  # a cause seen this long is not a pod still starting or a volume still being created
POLL_SECONDS = 3.0
LOG_LINES = 10


class ReleaseWatch:
    """`poll()` reads the namespace once and returns the error to stop helm with, or None to let it wait on."""

    def __init__(
        self, kube: Any, namespace: str, persist: float = PERSIST_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.kube = kube
        self.namespace = namespace
        self.persist = persist
        self.clock = clock
        self.first_seen: dict[str, float] = {}

    def poll(self) -> AmpctlError | None:
        k, ns = self.kube, self.namespace
        try:
            events = k.list("event", ns)
            causes = pod_causes(k.list("pod", ns), events)
            causes += claim_causes(k.list("persistent_volume_claim", ns), events)
        except AmpctlError:  # a read this identity may not make: helm's own wait decides
            return None
        now = self.clock()
        current = {c.key for c in causes}
        self.first_seen = {key: t for key, t in self.first_seen.items() if key in current}
        lasting = []
        for cause in causes:
            since = self.first_seen.setdefault(cause.key, now)
            if now - since >= self.persist:
                lasting.append(cause)
        if not lasting:
            return None
        return self._error(lasting)

    def _error(self, causes: list[Cause]) -> AmpctlError:
        first = causes[0]
        extra = (
            f" (and {len(causes) - 1} more: {', '.join(sorted({c.reason for c in causes[1:]}))})" if causes[1:] else ""
        )
        message = f"{first.reason}: {first.what}: {first.message}{extra}"
        if first.pod and first.container:
            message += f"; last log lines: {self._logs(first.pod, first.container)}"
        return AmpctlError(message, f"{first.fix}; the install was stopped and rolled back")

    def _logs(self, pod: str, container: str) -> str:
        try:
            text = self.kube.call(
                "read log", self.kube.core.read_namespaced_pod_log, pod, self.namespace,
                container=container, previous=True, tail_lines=LOG_LINES,
            )  # fmt: skip
        except AmpctlError:
            return "(not readable)"
        return " | ".join(line for line in str(text).splitlines() if line.strip()) or "(empty)"
