"""A 3.x fleet's shape, recorded on its S3 bucket, and the refusal of a fleet that mixes AMP-based and 3.x clusters.

Where: a 3.x fleet has no AMP workspace, and the bucket is the one thing every 3.x cluster of the fleet shares (each
writes there, the primary reads it all), so the primary records the shape as the same `ampctl/*` tags on the bucket
(S3 PutBucketTagging; the bucket is ampctl's, created with those tags). add-cluster reads them like the workspace's.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ampctl.errors import AmpctlError
from ampctl.fleetshape import FleetShape, from_tags
from ampctl.versions import chart_line

if TYPE_CHECKING:
    from ampctl.aws.session import AwsSession
    from ampctl.provision.request import ProvisionRequest


def read(aws: AwsSession, bucket: str) -> tuple[bool, dict[str, str], FleetShape | None]:
    """(the bucket exists, its tags, the shape recorded on it)."""
    from ampctl.aws import s3 as s3api

    s3 = aws.client("s3")
    if s3api.bucket_state(s3, bucket) == "missing":
        return False, {}, None
    tags = s3api.tags(s3, bucket)
    shape = from_tags(tags)
    if shape is not None:
        shape = dataclasses.replace(shape, source=f"recorded on bucket {bucket}")
    return True, tags, shape


def mixing(what: str, why: str) -> AmpctlError:
    return AmpctlError(
        f"{what}: a fleet that mixes AMP-based (1.x/2.x) and Kubecost 3.x clusters is refused ({why})",
        "keep the fleet on one line: pass the fleet's --kubecost-version, or give the other fleet its own --bucket "
        "(and --fleet); a 2.9 fleet moves to 3.x with `ampctl upgrade --to 3.2.1`",
    )


def under_way(progress: Any, holder: str, request: ProvisionRequest) -> None:
    """Refuse bootstrap and add-cluster while an upgrade of the fleet is under way: the fleet mixes versions (or
    lines) until it is done, and the upgrade decides each cluster's turn."""
    if progress is None or not progress.under_way or request.upgrading:
        return
    raise AmpctlError(
        f"the fleet recorded on {holder} is in the middle of an {progress.describe()}",
        f'finish it first: `ampctl upgrade --to {progress.target}` resumes it (README: "Upgrading a fleet")',
    )


def resolve(
    aws: AwsSession, request: ProvisionRequest, workspace: dict[str, Any] | None
) -> tuple[str, FleetShape | None] | None:
    """(the 3.x fleet's bucket, the shape recorded on it: None for a primary that records it first), or None when
    neither the request nor the bucket is on 3.x (the AMP path decides). Refuses a request that would mix the lines,
    except in an upgrade's own runs, and any request while an upgrade of the fleet is under way."""
    from ampctl.fleetshape import workspace_tags
    from ampctl.naming import MANAGED_BY_TAG, default_bucket
    from ampctl.upgrade import record

    asked_3x = "chart_version" in request.given and not chart_line(request.chart_version).on_amp
    ws_tags = workspace_tags(workspace) if workspace is not None else {}
    on_amp = from_tags(ws_tags) if workspace is not None else None
    ws = (workspace or {}).get("workspaceId", "")
    under_way(record.from_tags(ws_tags), f"workspace {ws}", request)
    moving = record.moved_to_3x(ws_tags)  # the AMP fleet's upgrade to 3.x: its 3.x shape is the bucket's
    if on_amp is not None and not asked_3x and moving is None:
        return None  # an AMP fleet's record: followed as before
    bucket = request.bucket or (on_amp.bucket if on_amp is not None else None)
    bucket = bucket or default_bucket(aws.account(), aws.region)
    exists, tags, shape = read(aws, bucket)
    under_way(record.from_tags(tags), f"bucket {bucket}", request)
    if shape is not None and shape.off_amp:
        if "chart_version" in request.given and not asked_3x:
            raise mixing(f"bucket {bucket} holds the 3.x fleet {shape.describe()}", f"--kubecost-version "
                         f"{request.chart_version} is on AMP")  # fmt: skip
        return bucket, shape
    if not asked_3x:
        return None
    if moving is not None or request.upgrading:
        return bucket, None  # the fleet's own upgrade to 3.x: the primary records the 3.x shape on its bucket
    if on_amp is not None and on_amp.fleet == request.fleet:
        raise mixing(f"workspace {ws} holds the AMP-based fleet {on_amp.describe()}", "its AMP fleet is here")
    if exists and (shape is not None or tags.get(MANAGED_BY_TAG[0]) == MANAGED_BY_TAG[1]):
        raise mixing(f"bucket {bucket} is an AMP-based fleet's federated ETL bucket", "3.x would share it")
    if not request.primary and not exists:
        raise AmpctlError(
            f"no Kubecost 3.x fleet is recorded on bucket {bucket}",
            "run `ampctl bootstrap --kubecost-version 3.2.1` on the primary first, or pass the fleet's --bucket",
        )
    return bucket, None
