"""What every workload reconciler shares: the objects a workload owns, conditions, and status writes."""

from __future__ import annotations

from typing import Any

from ampctl.sandbox.kubeapi.admission import now
from ampctl.sandbox.kubeapi.objects import resolve_kind
from ampctl.sandbox.kubeapi.pods import controller_of
from ampctl.sandbox.kubeapi.status import ApiError
from ampctl.sandbox.kubeapi.store import ObjectStore


def owned(store: ObjectStore, owner: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    uid = owner["metadata"]["uid"]
    found: list[dict[str, Any]] = store.owned_by(uid)
    return [o for o in found if o["kind"] == kind and (controller_of(o) or {}).get("uid") == uid]


def live_pods(store: ObjectStore, owner: dict[str, Any]) -> list[dict[str, Any]]:
    pods = [p for p in owned(store, owner, "Pod") if not p["metadata"].get("deletionTimestamp")]
    return sorted(pods, key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"]))


def conditions(
    existing: list[dict[str, Any]] | None, wanted: list[tuple[str, bool, str, str]], with_update: bool = True
) -> list[dict[str, Any]]:
    """Conditions in order, keeping the timestamps of those that did not change."""
    stamp = now()
    before = {c.get("type"): c for c in existing or []}
    out = []
    for kind, status, reason, message in wanted:
        cond: dict[str, Any] = {
            "type": kind,
            "status": "True" if status else "False",
            "reason": reason,
            "message": message,
            "lastTransitionTime": stamp,
        }
        if with_update:
            cond["lastUpdateTime"] = stamp
        old = before.get(kind)
        if (
            old
            and old.get("status") == cond["status"]
            and old.get("reason") == reason
            and old.get("message") == message
        ):
            cond = old
        out.append(cond)
    return out


def write_status(store: ObjectStore, obj: dict[str, Any], status: dict[str, Any]) -> None:
    if obj.get("status") == status:
        return
    updated = {
        **obj,
        "metadata": {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"},
        "status": status,
    }
    try:
        store.replace_status(obj["apiVersion"], resolve_kind(obj["apiVersion"], obj["kind"]).plural, updated)
    except ApiError as exc:
        if exc.code != 404:
            raise


def failure_conditions(exc: ApiError | None) -> list[tuple[str, bool, str, str]]:
    return [("ReplicaFailure", True, "FailedCreate", exc.message)] if exc else []


def delete_quietly(store: ObjectStore, group_version: str, plural: str, obj: dict[str, Any]) -> None:
    try:
        store.delete(group_version, plural, obj["metadata"].get("namespace"), obj["metadata"]["name"])
    except ApiError as exc:
        if exc.code != 404:
            raise
