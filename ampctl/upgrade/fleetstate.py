"""What an upgrade starts from: the fleet's recorded shape, where it is recorded (the holder of the upgrade's
record too), and the upgrade recorded there, if any."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ampctl.errors import AmpctlError
from ampctl.fleetshape import FleetShape
from ampctl.upgrade.record import Holder, Progress

if TYPE_CHECKING:
    from ampctl.aws.session import AwsSession
    from ampctl.provision.request import ProvisionRequest


@dataclass(frozen=True)
class FleetState:
    shape: FleetShape
    holder: Holder
    progress: Progress | None


def read(aws: AwsSession, request: ProvisionRequest) -> FleetState:
    """The fleet of `request` (its --alias/--workspace-id, else its --bucket for a 3.x fleet), from its record."""
    from ampctl.fleetshape import from_tags, workspace_tags
    from ampctl.kubecost3 import shape as shape3x
    from ampctl.naming import default_bucket
    from ampctl.provision.follow import find_workspace
    from ampctl.upgrade import record

    workspace, lookup = None, None
    try:
        workspace = find_workspace(aws, request)
    except AmpctlError as exc:
        if request.workspace_id or request.workspace_role_arn:
            raise  # asked for by name: its absence is the answer
        lookup = exc  # a 3.x fleet needs no AMP (nor the right to look for it): its bucket decides
    tags = workspace_tags(workspace) if workspace is not None else {}
    on_amp = from_tags(tags)
    moved = record.moved_to_3x(tags)
    if workspace is not None and on_amp is not None and (moved is None or moved.under_way):
        amp = aws.assumed(request.workspace_role_arn).client("amp")
        holder = Holder(amp, arn=str(workspace["arn"]))
        shape = dataclasses.replace(on_amp, source=f"recorded on workspace {workspace['workspaceId']}")
        return FleetState(shape, holder, record.from_tags(tags))
    bucket = request.bucket or (on_amp.bucket if on_amp is not None else None)
    bucket = bucket or default_bucket(aws.account(), aws.region)
    _, bucket_tags, found = shape3x.read(aws, bucket)
    if found is None:
        if lookup is not None:
            raise lookup  # no 3.x fleet on the bucket: why the workspace could not be read is the answer
        where = f"workspace alias {request.alias}" if workspace is None else f"workspace {workspace['workspaceId']}"
        raise AmpctlError(
            f"no fleet is recorded on {where} or on bucket {bucket}: ampctl upgrades a fleet it set up",
            "pass the fleet's --alias/--workspace-id (AMP) or --bucket (3.x), or set it up with `ampctl bootstrap`",
        )
    progress = record.from_tags(bucket_tags) or moved  # a finished move to 3.x stays on the workspace
    return FleetState(found, Holder(aws.client("s3"), bucket=bucket), progress)
