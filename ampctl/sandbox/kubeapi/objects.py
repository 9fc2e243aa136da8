"""Helpers shared by the store and the controller: copies, names and object comparisons."""

from __future__ import annotations

import json
import random
from typing import Any

from ampctl.sandbox.kubeapi.resources import ResourceType, by_kind, lookup
from ampctl.sandbox.kubeapi.status import no_such_path

NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
PATCH_TYPES = (
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/json-patch+json",
    "application/apply-patch+yaml",
)


def clone(obj: Any) -> Any:
    return json.loads(json.dumps(obj))


def random_suffix(length: int = 5) -> str:
    return "".join(random.choice(NAME_ALPHABET) for _ in range(length))


def resolve(group_version: str, plural: str) -> ResourceType:
    rt = lookup(group_version, plural)
    if rt is None:
        raise no_such_path()
    return rt


def resolve_kind(group_version: str, kind: str) -> ResourceType:
    rt = by_kind(group_version, kind)
    if rt is None:
        raise no_such_path()
    return rt


def content(obj: dict[str, Any]) -> dict[str, Any]:
    """What `generation` tracks: everything but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def without_rv(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "resourceVersion"}
    return {**obj, "metadata": meta}
