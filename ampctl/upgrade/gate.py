"""One wave: its clusters provisioned at the target version (the plan, Leases and helm of bootstrap and add-cluster),
then doctor on each, waiting for data as `doctor --wait` does. A failure of either stops the upgrade."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ampctl import output
from ampctl.errors import AmpctlError

if TYPE_CHECKING:
    from ampctl.selection import Chosen
    from ampctl.upgrade.fleetstate import FleetState
    from ampctl.upgrade.planning import ClusterPlan
    from ampctl.upgrade.waves import Wave


def install(
    members: list[ClusterPlan], chosen: Chosen, parallel: int, wait_lock: float, wave: Wave, total: int
) -> None:
    from ampctl.provision.flow import provision

    if not members:
        return
    jobs = [(p.target, p.request) for p in members]
    title = f"upgrade {wave.describe(total)} to {members[0].request.chart_version}"
    provision(jobs, sessions=chosen.sessions, yes=True, dry_run=False, parallel=parallel, title=title,
              wait_lock=wait_lock)  # fmt: skip
    for plan in members:
        plan.current = plan.request.chart_version


def gate(members: list[ClusterPlan], state: FleetState, chosen: Chosen, wait: float, max_age: float) -> None:
    """doctor on the wave's clusters; every failed check is named, with its fix."""
    from ampctl.doctor import report, runner
    from ampctl.doctor.command import progress
    from ampctl.doctor.model import Status
    from ampctl.doctor.options import DoctorOptions

    first = members[0].request
    options = DoctorOptions(
        namespace=state.shape.namespace, release=state.shape.release, alias=first.alias,
        workspace_id=first.workspace_id, workspace_role_arn=first.workspace_role_arn, bucket=state.shape.bucket,
        helm=first.helm, wait=wait, max_sample_age=max_age,
    )  # fmt: skip
    if not first.line.on_amp:  # a cluster on 3.x: its bucket is the fleet's, whatever the workspace says
        options = dataclasses.replace(options, bucket=first.bucket or state.shape.bucket)
    targets = [p.target for p in members]
    output.info(f"doctor on {', '.join(t.cluster for t in targets)}")
    reports = runner.run(targets, options, sessions=chosen.sessions, parallel=len(targets), progress=progress)
    failed = [(r.cluster, c) for r in reports for c in r.checks if c.status is Status.FAIL]
    if failed or output.is_json():
        report.show(reports)  # in JSON, into the upgrade's document
    if failed:
        shown = "; ".join(f"{cluster} {check.id}: {check.evidence}" for cluster, check in failed[:3])
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        raise AmpctlError(f"doctor fails: {shown}{more}", failed[0][1].fix or "see the doctor report above")
    output.info(f"doctor passes on {', '.join(t.cluster for t in targets)}")
