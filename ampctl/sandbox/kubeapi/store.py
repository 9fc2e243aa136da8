"""One cluster's objects in memory, with the semantics of the real API's storage layer.

Stored dicts are never mutated once committed (every write stores a new dict), so they can be
shared with watchers and serialized without the lock. Public methods return copies.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from ampctl.sandbox.kubeapi import admission, apply, patches
from ampctl.sandbox.kubeapi.defaults import fresh_objects
from ampctl.sandbox.kubeapi.objects import clone, content, random_suffix, resolve, without_rv
from ampctl.sandbox.kubeapi.resources import ResourceType
from ampctl.sandbox.kubeapi.selectors import parse_field_selector, parse_label_selector
from ampctl.sandbox.kubeapi.status import (
    ApiError,
    already_exists,
    bad_request,
    conflict,
    invalid,
    namespace_not_found,
    not_found,
)
from ampctl.sandbox.kubeapi.watch import Change, Watcher, WatchHub

log = logging.getLogger(__name__)

Objects = list[dict[str, Any]]
Changes = list[Change]
Subscriber = Callable[[str, str, str, dict[str, Any]], None]
Key = tuple[str, str]  # (namespace or "", name)
Ref = tuple[str, str, str, str]  # (group_version, plural, namespace, name)
T = TypeVar("T")


class ObjectStore:
    """The in-memory object store of one emulated cluster."""

    HISTORY = 4096

    def __init__(self, cluster: str = "", history: int = HISTORY) -> None:
        self.cluster = cluster
        self._lock = threading.RLock()
        self._subscribers: list[Subscriber] = []
        self._rv = 0
        self.alloc = admission.Allocator()
        self.pvc_binding = True
        self._buckets: dict[tuple[str, str], dict[Key, dict[str, Any]]] = {}
        self._uids: dict[str, Ref] = {}
        self._dependents: dict[str, set[Ref]] = {}
        self.hub = WatchHub(history)
        self.reset()

    # -- reading ------------------------------------------------------------------------------

    @property
    def resource_version(self) -> str:
        return str(self._rv)

    def get(self, group_version: str, plural: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        obj = self.get_raw(group_version, plural, namespace, name)
        return clone(obj) if obj is not None else None

    def get_raw(self, group_version: str, plural: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        rt = resolve(group_version, plural)
        with self._lock:
            return self._bucket(rt).get(self._key(rt, namespace, name))

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
            bucket, rv = self._bucket(rt), str(self._rv)
            keys = sorted(k for k in bucket if not namespace or not rt.namespaced or k[0] == namespace)
            objects = [bucket[k] for k in keys]
        return [
            o for o in objects if labels.matches(o["metadata"].get("labels")) and (fields.empty or fields.matches(o))
        ], rv

    def owned_by(self, uid: str) -> Objects:
        """Objects whose ownerReferences name `uid` (copies)."""
        with self._lock:
            refs = sorted(self._dependents.get(uid, ()))
            found = [self._buckets.get((r[0], r[1]), {}).get((r[2], r[3])) for r in refs]
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
        return clone(self._write(lambda changes: self._create(rt, clone(obj), namespace, dry_run, changes)))

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
            self._write(lambda changes: self._replace(rt, clone(obj), namespace, name, subresource, dry_run, changes))
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
            lambda changes: self._patch(
                rt, namespace, name, patch_type, body, field_manager, dry_run, subresource, changes
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
        key = self._key(rt, namespace, name)
        return clone(
            self._write(lambda changes: self._delete(rt, key, propagation, preconditions or {}, dry_run, changes))
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
            return [self._delete(rt, k, propagation, {}, dry_run, changes) for k in keys if k in self._bucket(rt)]

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
                bucket = self._bucket(rt)
                initial = [Change(self._rv, "ADDED", rt.group_version, rt.plural, bucket[k]) for k in sorted(bucket)]
            else:
                try:
                    since = int(resource_version or "0")
                except ValueError as exc:
                    raise bad_request(f"invalid resource version {resource_version!r}") from exc
                initial = self.hub.since(rt.group_version, rt.plural, since)
            self.hub.add(watcher)
            return initial, self._rv

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
            self._buckets = {}
            self._uids = {}
            self._dependents = {}
            self.hub.forget(self._rv)
            self.pvc_binding = True
        for group_version, plural, obj in fresh_objects(self.cluster):
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

    def _bucket(self, rt: ResourceType) -> dict[Key, dict[str, Any]]:
        return self._buckets.setdefault((rt.group_version, rt.plural), {})

    @staticmethod
    def _key(rt: ResourceType, namespace: str | None, name: str) -> Key:
        return (namespace or "default", name) if rt.namespaced else ("", name)

    def _exists(self, group_version: str, plural: str, namespace: str | None, name: str) -> bool:
        rt = resolve(group_version, plural)
        return self._key(rt, namespace, name) in self._bucket(rt)

    def _commit(
        self,
        rt: ResourceType,
        key: Key,
        obj: dict[str, Any] | None,
        kind: str,
        old: dict[str, Any] | None,
        changes: Changes,
    ) -> dict[str, Any]:
        self._rv += 1
        bucket = self._bucket(rt)
        ref: Ref = (rt.group_version, rt.plural, key[0], key[1])
        if old is not None:
            self._unindex(old, ref)
        if obj is None:
            assert old is not None
            bucket.pop(key, None)
            stored = {**old, "metadata": {**old["metadata"], "resourceVersion": str(self._rv)}}
        else:
            obj["metadata"]["resourceVersion"] = str(self._rv)
            bucket[key] = stored = obj
            self._index(obj, ref)
        change = Change(self._rv, kind, rt.group_version, rt.plural, stored, old)
        self.hub.publish(change)
        changes.append(change)
        return stored

    def _index(self, obj: dict[str, Any], ref: Ref) -> None:
        meta = obj["metadata"]
        self._uids[meta["uid"]] = ref
        for owner in meta.get("ownerReferences") or []:
            self._dependents.setdefault(owner.get("uid", ""), set()).add(ref)

    def _unindex(self, obj: dict[str, Any], ref: Ref) -> None:
        meta = obj["metadata"]
        self._uids.pop(meta.get("uid", ""), None)
        for owner in meta.get("ownerReferences") or []:
            deps = self._dependents.get(owner.get("uid", ""))
            if deps is not None:
                deps.discard(ref)
                if not deps:
                    del self._dependents[owner.get("uid", "")]

    def _create(
        self, rt: ResourceType, obj: Any, namespace: str | None, dry_run: bool, changes: Changes
    ) -> dict[str, Any]:
        meta = admission.identity(rt, obj, namespace)
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise invalid(
                    rt, "", "metadata.name", "Required value: name or generateName is required", "FieldValueRequired"
                )
            meta["name"] = meta["generateName"] + random_suffix()
        if rt.namespaced and not self._exists("v1", "namespaces", None, meta["namespace"]):
            raise namespace_not_found(meta["namespace"])
        key = self._key(rt, meta.get("namespace"), meta["name"])
        if key in self._bucket(rt):
            raise already_exists(rt, meta["name"])
        for field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(field, None)
        meta.update(uid=str(uuid.uuid4()), creationTimestamp=admission.now(), generation=1)
        admission.prepare_create(rt, obj, self.alloc, self._exists)
        if dry_run:
            obj["metadata"]["resourceVersion"] = str(self._rv)
            return obj
        return self._commit(rt, key, obj, "ADDED", None, changes)

    def _replace(
        self,
        rt: ResourceType,
        obj: Any,
        namespace: str | None,
        name: str | None,
        subresource: str | None,
        dry_run: bool,
        changes: Changes,
    ) -> dict[str, Any]:
        meta = admission.identity(rt, obj, namespace)
        name = name or meta.get("name") or ""
        if meta.get("name") and meta["name"] != name:
            raise bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL ({name})")
        key = self._key(rt, meta.get("namespace"), name)
        old = self._bucket(rt).get(key)
        if old is None:
            raise not_found(rt, name)
        old_meta = old["metadata"]
        if meta.get("resourceVersion") and meta["resourceVersion"] != old_meta["resourceVersion"]:
            raise conflict(rt, name)
        if subresource == "status":
            new = clone(old)
            new["status"] = obj.get("status") or {}
        elif subresource == "scale":
            new = clone(old)
            new.setdefault("spec", {})["replicas"] = (obj.get("spec") or {}).get("replicas", 0)
        else:
            new = obj
            if rt.has_status and "status" in old:
                new["status"] = clone(old["status"])
            elif rt.has_status:
                new.pop("status", None)
            meta["name"] = name
            for field in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
                if field in old_meta:
                    meta[field] = old_meta[field]
            if "managedFields" not in meta and "managedFields" in old_meta:
                meta["managedFields"] = clone(old_meta["managedFields"])
            admission.prepare_update(rt, old, new, self.alloc)
        generation = int(old_meta.get("generation") or 1)
        new["metadata"]["generation"] = generation + (content(old) != content(new))
        new["metadata"]["resourceVersion"] = old_meta["resourceVersion"]
        if without_rv(new) == without_rv(old) or dry_run:
            return new if dry_run else old
        stored = self._commit(rt, key, new, "MODIFIED", old, changes)
        if stored["metadata"].get("deletionTimestamp") and not stored["metadata"].get("finalizers"):
            return self._remove(rt, key, stored, None, changes)
        return stored

    def _patch(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        patch_type: str,
        body: Any,
        field_manager: str,
        dry_run: bool,
        subresource: str | None,
        changes: Changes,
    ) -> tuple[dict[str, Any], bool]:
        key = self._key(rt, namespace, name)
        old = self._bucket(rt).get(key)
        if patch_type == "application/apply-patch+yaml":
            apply.check(body, name, field_manager)
            if old is None:
                obj = apply.new_from_apply(body, field_manager, admission.now())
                return self._create(rt, obj, namespace, dry_run, changes), True
            patched = apply.apply_to(old, body, field_manager, admission.now())
        elif old is None:
            raise not_found(rt, name)
        else:
            patched = patches.apply_patch(old, patch_type, body)
        if not isinstance(patched, dict):
            raise bad_request("the patch did not produce an object")
        meta = patched.get("metadata")
        if isinstance(meta, dict) and meta.get("resourceVersion") not in ("", old["metadata"]["resourceVersion"]):
            raise conflict(rt, name)
        return self._replace(rt, patched, key[0] or None, name, subresource, dry_run, changes), False

    def _delete(
        self,
        rt: ResourceType,
        key: Key,
        propagation: str | None,
        preconditions: dict[str, Any],
        dry_run: bool,
        changes: Changes,
    ) -> dict[str, Any]:
        old = self._bucket(rt).get(key)
        if old is None:
            raise not_found(rt, key[1])
        meta = old["metadata"]
        for field in ("uid", "resourceVersion"):
            if preconditions.get(field) and preconditions[field] != meta.get(field):
                raise conflict(
                    rt,
                    key[1],
                    f"Precondition failed: {field} in precondition: "
                    f"{preconditions[field]}, {field} in object meta: {meta.get(field)}",
                )
        if dry_run:
            return old
        if meta.get("finalizers"):
            if meta.get("deletionTimestamp"):
                return old
            marked = clone(old)
            marked["metadata"].update(deletionTimestamp=admission.now(), deletionGracePeriodSeconds=0)
            return self._commit(rt, key, marked, "MODIFIED", old, changes)
        return self._remove(rt, key, old, propagation, changes)

    def _remove(
        self, rt: ResourceType, key: Key, old: dict[str, Any], propagation: str | None, changes: Changes
    ) -> dict[str, Any]:
        if rt.kind == "Namespace":
            for (group_version, plural), bucket in list(self._buckets.items()):
                inner = resolve(group_version, plural)
                for obj_key in [k for k in bucket if inner.namespaced and k[0] == key[1]]:
                    if obj_key in bucket:
                        self._remove(inner, obj_key, bucket[obj_key], "Background", changes)
            old = {**old, "status": {"phase": "Terminating"}}
        gone = self._commit(rt, key, None, "DELETED", old, changes)
        uid = old["metadata"].get("uid", "")
        for ref in sorted(self._dependents.pop(uid, set())):
            self._collect(ref, uid, propagation == "Orphan", changes)
        return gone

    def _collect(self, ref: Ref, owner_uid: str, orphan: bool, changes: Changes) -> None:
        """Garbage-collect one dependent of a deleted owner."""
        rt = resolve(ref[0], ref[1])
        key = (ref[2], ref[3])
        obj = self._bucket(rt).get(key)
        if obj is None:
            return
        owners = obj["metadata"].get("ownerReferences") or []
        remaining = [o for o in owners if o.get("uid") != owner_uid]
        if orphan or any(o.get("uid") in self._uids for o in remaining):
            updated = clone(obj)
            updated["metadata"]["ownerReferences"] = remaining
            if not remaining:
                del updated["metadata"]["ownerReferences"]
            self._commit(rt, key, updated, "MODIFIED", obj, changes)
        else:
            self._delete(rt, key, "Background", {}, False, changes)

    def _dispatch(self, changes: Changes) -> None:
        subscribers = self._subscribers
        for change in changes:
            for callback in subscribers:
                try:
                    callback(change.type, change.group_version, change.plural, clone(change.obj))
                except Exception:
                    log.exception("store subscriber failed on %s %s", change.type, change.plural)
