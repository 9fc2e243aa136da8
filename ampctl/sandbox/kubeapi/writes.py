"""Create, replace and patch, with the API server's semantics (admission, conflicts, generation, apply).

Each function runs with the store's lock held and appends what it committed to `changes`."""

from __future__ import annotations

import uuid
from typing import Any

import ampctl.sandbox.kubeapi.admission as admission
import ampctl.sandbox.kubeapi.apply as apply
import ampctl.sandbox.kubeapi.patches as patches
from ampctl.sandbox.kubeapi.deletion import remove
from ampctl.sandbox.kubeapi.objects import clone, content, random_suffix, without_rv
from ampctl.sandbox.kubeapi.resources import ResourceType
from ampctl.sandbox.kubeapi.state import Changes, StoreState
from ampctl.sandbox.kubeapi.status import already_exists, bad_request, conflict, invalid, namespace_not_found, not_found


def create(
    state: StoreState, rt: ResourceType, obj: Any, namespace: str | None, dry_run: bool, changes: Changes
) -> dict[str, Any]:
    meta = admission.identity(rt, obj, namespace)
    if not meta.get("name"):
        if not meta.get("generateName"):
            raise invalid(
                rt, "", "metadata.name", "Required value: name or generateName is required", "FieldValueRequired"
            )
        meta["name"] = meta["generateName"] + random_suffix()
    if rt.namespaced and not state.exists("v1", "namespaces", None, meta["namespace"]):
        raise namespace_not_found(meta["namespace"])
    key = state.key(rt, meta.get("namespace"), meta["name"])
    if key in state.bucket(rt):
        raise already_exists(rt, meta["name"])
    for field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
        meta.pop(field, None)
    meta.update(uid=str(uuid.uuid4()), creationTimestamp=admission.now(), generation=1)
    admission.prepare_create(rt, obj, state.alloc, state.exists)
    if dry_run:
        obj["metadata"]["resourceVersion"] = str(state.rv)
        return obj
    return state.commit(rt, key, obj, "ADDED", None, changes)


def replace(
    state: StoreState,
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
    key = state.key(rt, meta.get("namespace"), name)
    old = state.bucket(rt).get(key)
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
        admission.prepare_update(rt, old, new, state.alloc)
    generation = int(old_meta.get("generation") or 1)
    new["metadata"]["generation"] = generation + (content(old) != content(new))
    new["metadata"]["resourceVersion"] = old_meta["resourceVersion"]
    if without_rv(new) == without_rv(old) or dry_run:
        return new if dry_run else old
    stored = state.commit(rt, key, new, "MODIFIED", old, changes)
    if stored["metadata"].get("deletionTimestamp") and not stored["metadata"].get("finalizers"):
        return remove(state, rt, key, stored, None, changes)
    return stored


def patch(
    state: StoreState,
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
    key = state.key(rt, namespace, name)
    old = state.bucket(rt).get(key)
    if patch_type == "application/apply-patch+yaml":
        apply.check(body, name, field_manager)
        if old is None:
            obj = apply.new_from_apply(body, field_manager, admission.now())
            return create(state, rt, obj, namespace, dry_run, changes), True
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
    return replace(state, rt, patched, key[0] or None, name, subresource, dry_run, changes), False
