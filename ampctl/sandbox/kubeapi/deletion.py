"""Deletion with finalizers, namespace cascades and owner-reference garbage collection.

Each function runs with the store's lock held and appends what it committed to `changes`."""

from __future__ import annotations

from typing import Any

import ampctl.sandbox.kubeapi.admission as admission
from ampctl.sandbox.kubeapi.objects import clone, resolve
from ampctl.sandbox.kubeapi.resources import ResourceType
from ampctl.sandbox.kubeapi.state import Changes, Key, Ref, StoreState
from ampctl.sandbox.kubeapi.status import conflict, not_found


def delete(
    state: StoreState,
    rt: ResourceType,
    key: Key,
    propagation: str | None,
    preconditions: dict[str, Any],
    dry_run: bool,
    changes: Changes,
) -> dict[str, Any]:
    old = state.bucket(rt).get(key)
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
        return state.commit(rt, key, marked, "MODIFIED", old, changes)
    return remove(state, rt, key, old, propagation, changes)


def remove(
    state: StoreState, rt: ResourceType, key: Key, old: dict[str, Any], propagation: str | None, changes: Changes
) -> dict[str, Any]:
    if rt.kind == "Namespace":
        for (group_version, plural), bucket in list(state.buckets.items()):
            inner = resolve(group_version, plural)
            for obj_key in [k for k in bucket if inner.namespaced and k[0] == key[1]]:
                if obj_key in bucket:
                    remove(state, inner, obj_key, bucket[obj_key], "Background", changes)
        old = {**old, "status": {"phase": "Terminating"}}
    gone = state.commit(rt, key, None, "DELETED", old, changes)
    uid = old["metadata"].get("uid", "")
    for ref in sorted(state.dependents.pop(uid, set())):
        collect(state, ref, uid, propagation == "Orphan", changes)
    return gone


def collect(state: StoreState, ref: Ref, owner_uid: str, orphan: bool, changes: Changes) -> None:
    """Garbage-collect one dependent of a deleted owner."""
    rt = resolve(ref[0], ref[1])
    key = (ref[2], ref[3])
    obj = state.bucket(rt).get(key)
    if obj is None:
        return
    owners = obj["metadata"].get("ownerReferences") or []
    remaining = [o for o in owners if o.get("uid") != owner_uid]
    if orphan or any(o.get("uid") in state.uids for o in remaining):
        updated = clone(obj)
        updated["metadata"]["ownerReferences"] = remaining
        if not remaining:
            del updated["metadata"]["ownerReferences"]
        state.commit(rt, key, updated, "MODIFIED", obj, changes)
    else:
        delete(state, rt, key, "Background", {}, False, changes)
