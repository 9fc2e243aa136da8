"""One cluster's objects in memory, with the semantics of the real API's storage layer.

Stored dicts are never mutated once committed (every write stores a new dict), so they can be
shared with watchers and serialized without the lock. Public methods return copies.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import ampctl.sandbox.kubeapi.deletion as deletion
import ampctl.sandbox.kubeapi.writes as writes
from ampctl.sandbox.kubeapi.admission import Allocator
from ampctl.sandbox.kubeapi.defaults import fresh_objects
from ampctl.sandbox.kubeapi.objects import clone, resolve
from ampctl.sandbox.kubeapi.profile import LEGACY, ClusterProfile, Provisioners
from ampctl.sandbox.kubeapi.selectors import parse_field_selector, parse_label_selector
from ampctl.sandbox.kubeapi.state import Changes, StoreState
from ampctl.sandbox.kubeapi.status import ApiError, bad_request
from ampctl.sandbox.kubeapi.watch import Change, Watcher, WatchHub

log = logging.getLogger(__name__)

Objects = list[dict[str, Any]]
Subscriber = Callable[[str, str, str, dict[str, Any]], None]
T = TypeVar("T")


class ObjectStore:
    """The in-memory object store of one emulated cluster."""

    HISTORY = 4096

    def __init__(self, cluster: str = "", history: int = HISTORY, profile: ClusterProfile = LEGACY) -> None:
        self.cluster = cluster
        self.profile = profile
        self.provisioners: Provisioners = lambda: frozenset()  # what runs besides the profile's own (set by owner)
        self._lock = threading.RLock()
        self._subscribers: list[Subscriber] = []
        self.pvc_binding = True
        self._state = StoreState(history)
        self.reset()

    @property
    def hub(self) -> WatchHub:
        return self._state.hub

    @property
    def alloc(self) -> Allocator:
        return self._state.alloc

    # -- reading ------------------------------------------------------------------------------

    @property
    def resource_version(self) -> str:
        return str(self._state.rv)

    def get(self, group_version: str, plural: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        obj = self.get_raw(group_version, plural, namespace, name)
        return clone(obj) if obj is not None else None

    def get_raw(self, group_version: str, plural: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        rt = resolve(group_version, plural)
        with self._lock:
            return self._state.bucket(rt).get(self._state.key(rt, namespace, name))

    def list(
        self,
        group_version: str,
        plural: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> Objects:
        items, _rv = self.list_raw(group_version, plural, namespace, label_selector, field_selector)
        return [clone(o) for o in items]

    def list_raw(
        self,
        group_version: str,
        plural: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[Objects, str]:
        rt = resolve(group_version, plural)
        labels, fields = parse_label_selector(label_selector), parse_field_selector(field_selector)
        with self._lock:
            bucket, rv = self._state.bucket(rt), str(self._state.rv)
            keys = sorted(k for k in bucket if not namespace or not rt.namespaced or k[0] == namespace)
            objects = [bucket[k] for k in keys]
        return [
            o for o in objects if labels.matches(o["metadata"].get("labels")) and (fields.empty or fields.matches(o))
        ], rv

    def owned_by(self, uid: str) -> Objects:
        """Objects whose ownerReferences name `uid` (copies)."""
        with self._lock:
            refs = sorted(self._state.dependents.get(uid, ()))
            found = [self._state.buckets.get((r[0], r[1]), {}).get((r[2], r[3])) for r in refs]
        return [clone(o) for o in found if o is not None]

    # -- writing ------------------------------------------------------------------------------

    def create(
        self,
        group_version: str,
        plural: str,
        obj: dict[str, Any],
        *,
        namespace: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        rt = resolve(group_version, plural)
        return clone(
            self._write(lambda changes: writes.create(self._state, rt, clone(obj), namespace, dry_run, changes))
        )

    def replace(
        self,
        group_version: str,
        plural: str,
        obj: dict[str, Any],
        *,
        namespace: str | None = None,
        name: str | None = None,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """PUT: replace the object (its status stays unless `subresource` is "status")."""
        rt = resolve(group_version, plural)
        return clone(
            self._write(
                lambda changes: writes.replace(
                    self._state, rt, clone(obj), namespace, name, subresource, dry_run, changes
                )
            )
        )

    def replace_status(self, group_version: str, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.replace(group_version, plural, obj, subresource="status")

    def patch(
        self,
        group_version: str,
        plural: str,
        namespace: str | None,
        name: str,
        patch_type: str,
        body: Any,
        *,
        field_manager: str = "",
        force: bool = False,
        dry_run: bool = False,
        subresource: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """PATCH with one of PATCH_TYPES; returns (object, created) (apply creates missing objects)."""
        rt = resolve(group_version, plural)
        result, created = self._write(
            lambda changes: writes.patch(
                self._state, rt, namespace, name, patch_type, body, field_manager, dry_run, subresource, changes
            )
        )
        return clone(result), created

    def delete(
        self,
        group_version: str,
        plural: str,
        namespace: str | None,
        name: str,
        *,
        propagation: str | None = None,
        preconditions: dict[str, Any] | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        rt = resolve(group_version, plural)
        key = self._state.key(rt, namespace, name)
        return clone(
            self._write(
                lambda changes: deletion.delete(
                    self._state, rt, key, propagation, preconditions or {}, dry_run, changes
                )
            )
        )

    def delete_collection(
        self,
        group_version: str,
        plural: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        *,
        propagation: str | None = None,
        dry_run: bool = False,
    ) -> Objects:
        rt = resolve(group_version, plural)

        def delete_all(changes: Changes) -> Objects:
            items, _rv = self.list_raw(group_version, plural, namespace, label_selector, field_selector)
            keys = [(o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in items]
            bucket = self._state.bucket(rt)
            return [deletion.delete(self._state, rt, k, propagation, {}, dry_run, changes) for k in keys if k in bucket]

        return [clone(o) for o in self._write(delete_all)]

    # -- subscriptions and watches ------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> None:
        with self._lock:
            self._subscribers = [*self._subscribers, callback]

    def unsubscribe(self, callback: Subscriber) -> None:
        with self._lock:
            self._subscribers = [s for s in self._subscribers if s is not callback]

    def watch(self, watcher: Watcher, resource_version: str | None, initial_state: bool = False) -> tuple[Changes, int]:
        """Register `watcher`; returns the changes to send first and the resourceVersion they end at."""
        rt = resolve(watcher.group_version, watcher.plural)
        with self._lock:
            if initial_state or resource_version in (None, "", "0"):
                bucket, rv = self._state.bucket(rt), self._state.rv
                initial = [Change(rv, "ADDED", rt.group_version, rt.plural, bucket[k]) for k in sorted(bucket)]
            else:
                try:
                    since = int(resource_version or "0")
                except ValueError as exc:
                    raise bad_request(f"invalid resource version {resource_version!r}") from exc
                initial = self.hub.since(rt.group_version, rt.plural, since)
            self.hub.add(watcher)
            return initial, self._state.rv

    def stop_watch(self, watcher: Watcher) -> None:
        with self._lock:
            self.hub.remove(watcher)

    def close_watches(self) -> None:
        with self._lock:
            self.hub.close_all()

    def reset(self) -> None:
        """Forget every object and end every watch; resourceVersions keep growing."""
        with self._lock:
            self.close_watches()
            self._state.clear()
            self.pvc_binding = True
        for group_version, plural, obj in fresh_objects(self.cluster, self.profile):
            try:
                self.create(group_version, plural, obj)
            except ApiError as exc:
                if exc.reason != "AlreadyExists":
                    raise

    # -- internals (called with the lock held) ------------------------------------------------

    def _write(self, operation: Callable[[Changes], T]) -> T:
        """Run `operation` under the lock, then tell subscribers about the changes it committed."""
        changes: Changes = []
        with self._lock:
            result = operation(changes)
        self._dispatch(changes)
        return result

    def _dispatch(self, changes: Changes) -> None:
        subscribers = self._subscribers
        for change in changes:
            for callback in subscribers:
                try:
                    callback(change.type, change.group_version, change.plural, clone(change.obj))
                except Exception:
                    log.exception("store subscriber failed on %s %s", change.type, change.plural)
