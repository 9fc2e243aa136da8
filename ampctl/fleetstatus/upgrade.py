"""What status says of a fleet's recorded upgrade (ampctl.upgrade.record): the upgrade, and per cluster whether it
is on the upgrade's target, being upgraded or waiting for it.

While an upgrade is under way (running or stopped), clusters on its origin and on its target live side by side: a
cluster on either version is not a difference from the fleet's shape, whatever the shape's recorded version is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ampctl.fleetshape import FleetShape
    from ampctl.fleetstatus.model import ClusterStatus
    from ampctl.upgrade.record import Progress

ON_TARGET, UPGRADING, WAITING, NOT_ON_TARGET = "on target", "upgrading", "waiting for the upgrade", "not on target"
FAILED = "upgrade failed"
# helm's release statuses while an install, upgrade or rollback is in flight (helm pkg/release/status.go:
# pending-install, pending-upgrade, pending-rollback).
_PENDING = ("pending-install", "pending-upgrade", "pending-rollback")


def crosses_lines(progress: Progress | None) -> bool:
    """An upgrade under way from an AMP line to 3.x (or back): each cluster's roles are those of its own line."""
    from ampctl.errors import AmpctlError
    from ampctl.versions import chart_line

    if progress is None or not progress.under_way:
        return False
    try:
        return chart_line(progress.origin).family != chart_line(progress.target).family
    except AmpctlError:
        return False


def judge(status: ClusterStatus, progress: Progress | None) -> None:
    """Record, on a cluster of the fleet, where it stands in the upgrade."""
    if progress is None or not status.in_fleet or status.release_status in (None, "missing"):
        return
    status.on_target = status.chart_version == progress.target
    if status.on_target and status.release_status == "deployed":
        status.upgrade = ON_TARGET
    elif not progress.under_way:
        status.upgrade = ON_TARGET if status.on_target else NOT_ON_TARGET
    elif status.release_status in _PENDING:
        status.upgrade = UPGRADING
    elif status.on_target:
        status.upgrade = FAILED  # on the target's chart, but the release did not deploy (helm status failed)
    else:
        status.upgrade = WAITING


def differences(shape: FleetShape, status: ClusterStatus, progress: Progress | None) -> list[str]:
    """How the cluster differs from the fleet's shape; during an upgrade its origin and target versions are
    expected (the version skew and, moving to 3.x, the chart line), the mode and identity still compared."""
    from ampctl.fleetshape import differences as compare

    expected = (
        progress is not None and progress.under_way and status.chart_version in (progress.origin, progress.target)
    )
    return compare(
        shape, federated=status.federated, bucket=None, chart_version=None if expected else status.chart_version,
        skew=True, identity=status.identity,
    )  # fmt: skip


def as_json(progress: Progress | None, holder: str | None) -> dict[str, Any] | None:
    if progress is None:
        return None
    return {**progress.to_json(), "under_way": progress.under_way, "holder": holder, "summary": progress.describe()}
