"""Changes recorded by the store and the watchers that follow them."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from ampctl.sandbox.kubeapi.selectors import FieldSelector, LabelSelector
from ampctl.sandbox.kubeapi.status import ApiError


@dataclass(frozen=True)
class Change:
    """One committed change. `obj` and `old` are stored objects: never mutate them."""

    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    group_version: str
    plural: str
    obj: dict[str, Any]
    old: dict[str, Any] | None = None


class WatchClosed(Exception):
    """The watch ended: the store was reset or the watcher fell too far behind."""


class Watcher:
    """A bounded queue of changes for one watch request, filtered by namespace and selectors."""

    MAX_PENDING = 10_000

    def __init__(
        self, group_version: str, plural: str, namespace: str | None, labels: LabelSelector, fields: FieldSelector
    ) -> None:
        self.group_version = group_version
        self.plural = plural
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self._pending: deque[Change] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self.overflowed = False

    def push(self, change: Change) -> None:
        with self._cond:
            if self._closed:
                return
            if len(self._pending) >= self.MAX_PENDING:
                self.overflowed = True
                self._closed = True
                self._pending.clear()
            else:
                self._pending.append(change)
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()

    def next(self, timeout: float) -> Change | None:
        """The next change, None when `timeout` passes first; WatchClosed once closed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._pending:
                if self._closed:
                    raise WatchClosed()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)
            return self._pending.popleft()

    def _matches(self, obj: dict[str, Any] | None) -> bool:
        if obj is None:
            return False
        meta = obj.get("metadata") or {}
        if self.namespace and meta.get("namespace") != self.namespace:
            return False
        return self.labels.matches(meta.get("labels")) and self.fields.matches(obj)

    def translate(self, change: Change) -> tuple[str, dict[str, Any]] | None:
        """The event this watcher reports for a change, if any (selector moves become ADDED/DELETED)."""
        now_matches = self._matches(change.obj)
        if change.type != "MODIFIED":
            return (change.type, change.obj) if now_matches else None
        before = self._matches(change.old)
        if now_matches and before:
            return "MODIFIED", change.obj
        if now_matches:
            return "ADDED", change.obj
        if before:
            return "DELETED", change.obj
        return None


class WatchHub:
    """The last changes (a bounded history to resume watches from) and the active watchers.

    Not locked itself: the store calls it with its own lock held.
    """

    def __init__(self, history: int) -> None:
        self.history: deque[Change] = deque(maxlen=history)
        self._floor = 0  # watches may resume from any resourceVersion >= this
        self._watchers: dict[tuple[str, str], set[Watcher]] = {}

    def publish(self, change: Change) -> None:
        if len(self.history) == self.history.maxlen:
            self._floor = self.history[0].rv
        self.history.append(change)
        for watcher in self._watchers.get((change.group_version, change.plural), ()):
            watcher.push(change)

    def since(self, group_version: str, plural: str, resource_version: int) -> list[Change]:
        if resource_version < self._floor:
            raise ApiError(410, f"too old resource version: {resource_version} ({self._floor})", "Expired")
        return [
            c
            for c in self.history
            if c.rv > resource_version and c.group_version == group_version and c.plural == plural
        ]

    def add(self, watcher: Watcher) -> None:
        self._watchers.setdefault((watcher.group_version, watcher.plural), set()).add(watcher)

    def remove(self, watcher: Watcher) -> None:
        watchers = self._watchers.get((watcher.group_version, watcher.plural))
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                del self._watchers[(watcher.group_version, watcher.plural)]
        watcher.close()

    def close_all(self) -> None:
        for watchers in self._watchers.values():
            for watcher in watchers:
                watcher.close()
        self._watchers = {}

    def forget(self, resource_version: int) -> None:
        """Drop the history: watches resume only from `resource_version` on."""
        self.history.clear()
        self._floor = resource_version

    @property
    def watcher_count(self) -> int:
        return sum(len(w) for w in self._watchers.values())
