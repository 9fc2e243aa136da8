"""AMP control plane: find workspaces by alias, create with a client token, wait for ACTIVE."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ampctl.errors import AmpctlError

WAIT_DELAY = 2.0
WAIT_ATTEMPTS = 60


def find_by_alias(amp: Any, alias: str) -> list[dict[str, Any]]:
    found = []
    for page in amp.get_paginator("list_workspaces").paginate(alias=alias):
        for ws in page.get("workspaces", []):
            if ws.get("alias") == alias and ws.get("status", {}).get("statusCode") != "DELETING":
                found.append(ws)
    return found


def describe(amp: Any, workspace_id: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        return dict(amp.describe_workspace(workspaceId=workspace_id)["workspace"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise


def status_of(ws: dict[str, Any]) -> str:
    return str(ws.get("status", {}).get("statusCode", "UNKNOWN"))


def one_by_alias(amp: Any, alias: str, region: str) -> dict[str, Any] | None:
    found = find_by_alias(amp, alias)
    if len(found) > 1:
        ids = ", ".join(sorted(ws["workspaceId"] for ws in found))
        raise AmpctlError(
            f"{len(found)} AMP workspaces in {region} have alias {alias!r}: {ids}",
            "pass --workspace-id to choose one (aliases are not unique in AMP)",
        )
    return found[0] if found else None


def wait_active(
    amp: Any,
    workspace_id: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Poll like the AWS CLI's workspace-active waiter (2 s, 60 tries), reporting progress."""
    started = time.monotonic()
    for _attempt in range(WAIT_ATTEMPTS):
        ws = describe(amp, workspace_id)
        if ws is None:
            raise AmpctlError(f"AMP workspace {workspace_id} disappeared while waiting", "re-run the command")
        status = status_of(ws)
        if status == "ACTIVE":
            return ws
        if status == "CREATION_FAILED":
            reason = ws.get("status", {}).get("statusReason") or "no reason given"
            raise AmpctlError(
                f"AMP workspace {workspace_id} failed to create: {reason}",
                "delete it (`aws amp delete-workspace`) and re-run, or pass --workspace-id",
            )
        progress(f"waiting for AMP workspace {workspace_id}: {status} ({time.monotonic() - started:.0f}s)")
        sleep(WAIT_DELAY)
    raise AmpctlError(
        f"AMP workspace {workspace_id} did not become ACTIVE in {WAIT_DELAY * WAIT_ATTEMPTS:.0f}s",
        "re-run later: the workspace is found by its alias and not created twice",
    )


def settle_alias(amp: Any, alias: str, mine: dict[str, Any]) -> dict[str, Any]:
    """After a create: if another run created a workspace with the same alias at the same time, the
    oldest one wins; a run whose workspace lost deletes it and uses the winner, so one is left."""
    from ampctl.aws.errors import done_if_gone

    found = find_by_alias(amp, alias)
    if len(found) <= 1:
        return mine
    winner = min(found, key=lambda ws: (str(ws.get("createdAt", "")), str(ws["workspaceId"])))
    if winner["workspaceId"] == mine["workspaceId"]:
        return mine
    done_if_gone(amp.delete_workspace, workspaceId=mine["workspaceId"])
    return winner


def delete(call: Any, **kwargs: Any) -> None:
    """An AMP delete (DeleteWorkspace, DeleteRuleGroupsNamespace) where gone already is done, and so is a
    ConflictException: one of both calls' errors (botocore amp model). Assumption, not documented: a retried delete
    whose first attempt was lost gets it while the resource is DELETING; one left by any other conflict is found again
    by a re-run's plan."""
    from botocore.exceptions import ClientError

    from ampctl.aws.errors import done_if_gone, error_code

    try:
        done_if_gone(call, **kwargs)
    except ClientError as exc:
        if error_code(exc) != "ConflictException":
            raise
