"""PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch and JSON patch (RFC 6902)."""

from __future__ import annotations

import copy
from typing import Any

from ampctl.sandbox.kubeapi.status import ApiError, bad_request

# Lists merged item by item in a strategic merge patch, by field name -> merge key.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "secrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}


def merge_key_for(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        dicts = [i for i in items if isinstance(i, dict)]
        if dicts and all("containerPort" in i for i in dicts):
            return "containerPort"
        return "port"
    return MERGE_KEYS.get(field)


def apply_patch(target: dict[str, Any], patch_type: str, body: Any) -> Any:
    """`target` after a merge, strategic merge or JSON patch (target itself is left alone)."""
    if patch_type == "application/json-patch+json":
        return json_patch(target, body)
    if patch_type == "application/merge-patch+json":
        return merge_patch(copy.deepcopy(target), body)
    if patch_type == "application/strategic-merge-patch+json":
        return strategic_merge_patch(copy.deepcopy(target), body)
    raise ApiError(415, f"the server does not support the patch type {patch_type!r}", "UnsupportedMediaType")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _clean(value: Any) -> Any:
    """Drop strategic-merge directives from content that is inserted as is."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """A strategic merge patch: a merge patch whose known lists merge by key, honouring directives."""
    if not isinstance(patch, dict):
        return _clean(patch)
    merged = _smp_dict(target if isinstance(target, dict) else {}, patch)
    return {} if merged is None else merged


def _smp_dict(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any] | None:
    directive = patch.get("$patch")
    if directive == "replace":
        return _clean(patch)
    if directive == "delete":
        return None
    result = dict(target)
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            result[field] = [v for v in result.get(field) or [] if v not in (value or [])]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            current = result.get(key)
            merged = _smp_dict(current if isinstance(current, dict) else {}, value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            current = result.get(key)
            result[key] = _smp_list(key, current if isinstance(current, list) else [], value)
        else:
            result[key] = value
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _reorder(field, result[field], order)
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _smp_list(field: str, target: list[Any], patch: list[Any]) -> list[Any]:
    key = merge_key_for(field, patch + target)
    if key is None or not all(isinstance(i, dict) for i in patch + target):
        return [_clean(i) for i in patch]
    if any(i.get("$patch") == "replace" for i in patch):
        return [_clean(i) for i in patch if i.get("$patch") != "replace"]
    result = list(target)
    for item in patch:
        if key not in item:
            result.append(_clean(item))
            continue
        index = next((n for n, have in enumerate(result) if have.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
            continue
        if index is None:
            result.append(_clean(item))
        else:
            merged = _smp_dict(result[index], item)
            if merged is None:
                del result[index]
            else:
                result[index] = merged
    return result


def _reorder(field: str, items: list[Any], order: list[Any]) -> list[Any]:
    key = merge_key_for(field, items)
    if key is None or not all(isinstance(i, dict) for i in items):
        ranks = {repr(v): n for n, v in enumerate(order)}
        return sorted(items, key=lambda v: ranks.get(repr(v), len(ranks)))
    ranks = {repr(o.get(key)): n for n, o in enumerate(order) if isinstance(o, dict)}
    return sorted(items, key=lambda v: ranks.get(repr(v.get(key)), len(ranks)))


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], path: str) -> Any:
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise ApiError(422, f"jsonpatch: path {path!r} does not exist", "Invalid")
    return node


def _get(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise ApiError(422, f"jsonpatch: path {path!r} does not exist", "Invalid")


def _remove(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise ApiError(422, f"jsonpatch: unable to remove nonexistent key {path!r}", "Invalid")


def _add(doc: Any, path: str, value: Any, replace: bool = False) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise ApiError(422, f"jsonpatch: replace operation does not apply: {path!r} is missing", "Invalid")
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise ApiError(422, f"jsonpatch: index out of range in {path!r}", "Invalid")
    else:
        raise ApiError(422, f"jsonpatch: path {path!r} does not exist", "Invalid")
    return doc


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902 add/remove/replace/move/copy/test on a copy of `target`."""
    if not isinstance(operations, list):
        raise bad_request("json patch body must be a list of operations")
    doc = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request(f"invalid json patch operation {op!r}")
        kind, path = op["op"], op["path"]
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            doc = _add(doc, path, copy.deepcopy(op.get("value")), replace=True)
        elif kind == "move":
            doc = _add(doc, path, _remove(doc, op.get("from", "")))
        elif kind == "copy":
            doc = _add(doc, path, copy.deepcopy(_get(doc, op.get("from", ""))))
        elif kind == "test":
            if _get(doc, path) != op.get("value"):
                raise ApiError(422, f"jsonpatch: test failed for path {path!r}", "Invalid")
        else:
            raise bad_request(f"unknown json patch operation {kind!r}")
    return doc
