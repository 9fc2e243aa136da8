"""Server-side apply, minimally: each field manager owns the fields of its last applied configuration.

Applying merges the configuration into the live object (lists with a merge key item by item, other
lists as a whole) and removes the fields the same manager applied before but no longer applies.
Ownership is recorded in `metadata.managedFields` (FieldsV1), without conflict detection.
"""

from __future__ import annotations

import json
from typing import Any

from ampctl.sandbox.kubeapi.patches import merge_key_for
from ampctl.sandbox.kubeapi.status import bad_request

_IDENTITY = ("apiVersion", "kind")
_META_IDENTITY = (
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
    "generateName",
)


def check(body: Any, name: str, field_manager: str) -> None:
    """Reject what the real API rejects in an apply request."""
    if not field_manager:
        raise bad_request("PATCH, application/apply-patch+yaml: fieldManager is required for apply requests")
    if not isinstance(body, dict) or not body.get("apiVersion") or not body.get("kind"):
        raise bad_request("apiVersion and kind must be set in an apply configuration")
    if (body.get("metadata") or {}).get("name", name) != name:
        raise bad_request("the name of the object does not match the name on the URL")


def field_set(obj: dict[str, Any]) -> dict[str, Any]:
    """The FieldsV1 set of an applied configuration."""
    fields: dict[str, Any] = {}
    for key, value in obj.items():
        if key in _IDENTITY:
            continue
        if key == "metadata" and isinstance(value, dict):
            meta = {k: v for k, v in value.items() if k not in _META_IDENTITY}
            if meta:
                fields["f:metadata"] = _fields_of(meta)
            continue
        fields[f"f:{key}"] = _fields_of(value, key)
    return fields


def _fields_of(value: Any, name: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return {f"f:{k}": _fields_of(v, k) for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
        key = merge_key_for(name, value)
        if key and all(key in i for i in value):
            out: dict[str, Any] = {}
            for item in value:
                sub = _fields_of(item)
                sub["."] = {}
                out["k:" + json.dumps({key: item[key]}, separators=(",", ":"))] = sub
            return out
    return {}


def _prune(target: Any, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Remove from `target` what `old` owns and `new` does not."""
    for token, sub in old.items():
        if token == ".":
            continue
        if token.startswith("f:") and isinstance(target, dict):
            key = token[2:]
            if token not in new:
                target.pop(key, None)
            elif sub and key in target:
                _prune(target[key], sub, new[token])
        elif token.startswith("k:") and isinstance(target, list):
            wanted = json.loads(token[2:])
            for index, item in enumerate(list(target)):
                if isinstance(item, dict) and all(item.get(k) == v for k, v in wanted.items()):
                    if token not in new:
                        target.pop(index)
                    else:
                        _prune(item, sub, new[token])
                    break


def _merge(live: Any, applied: Any, name: str = "") -> Any:
    if isinstance(live, dict) and isinstance(applied, dict):
        result = dict(live)
        for key, value in applied.items():
            if value is None:
                result.pop(key, None)
            else:
                result[key] = _merge(live.get(key), value, key)
        return result
    if (
        isinstance(live, list)
        and isinstance(applied, list)
        and applied
        and all(isinstance(i, dict) for i in applied + live)
    ):
        key = merge_key_for(name, applied)
        if key and all(key in i for i in applied + live):
            out = [dict(i) for i in live]
            for item in applied:
                index = next((n for n, have in enumerate(out) if have.get(key) == item[key]), None)
                if index is None:
                    out.append(item)
                else:
                    out[index] = _merge(out[index], item)
            return out
    return applied


def managed_entry(
    manager: str, api_version: str, fields: dict[str, Any], now: str, operation: str = "Apply"
) -> dict[str, Any]:
    return {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }


def apply_to(live: dict[str, Any], applied: dict[str, Any], manager: str, now: str) -> dict[str, Any]:
    """The object after `manager` applies `applied` to `live` (both plain JSON objects)."""
    entries = list((live.get("metadata") or {}).get("managedFields") or [])
    previous = next((e for e in entries if e.get("manager") == manager and e.get("operation") == "Apply"), None)
    new_fields = field_set(applied)
    result = json.loads(json.dumps(live))
    if previous:
        _prune(result, previous.get("fieldsV1") or {}, new_fields)
    result = _merge(result, {k: v for k, v in applied.items() if k != "status"})
    if previous and previous.get("fieldsV1") == new_fields:
        now = previous.get("time", now)  # ownership unchanged: an identical apply changes nothing
    entries = [e for e in entries if not (e.get("manager") == manager and e.get("operation") == "Apply")]
    entries.append(managed_entry(manager, applied.get("apiVersion", ""), new_fields, now))
    result.setdefault("metadata", {})["managedFields"] = entries
    return result


def new_from_apply(applied: dict[str, Any], manager: str, now: str) -> dict[str, Any]:
    result = json.loads(json.dumps(applied))
    result.setdefault("metadata", {})["managedFields"] = [
        managed_entry(manager, applied.get("apiVersion", ""), field_set(applied), now)
    ]
    return result
