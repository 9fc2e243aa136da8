"""An upgrade's plan: every chosen cluster read at once (its release, and on the way to 3.x its finops-agent), the
version change checked, the 2.9 bridge judged, and what changes on each cluster."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from ampctl.errors import AmpctlError
from ampctl.upgrade import paths
from ampctl.upgrade.bridge import Bridge
from ampctl.versions import chart_line

if TYPE_CHECKING:
    from ampctl.aws.session import Sessions
    from ampctl.provision.context import ClusterRun
    from ampctl.provision.request import ProvisionRequest
    from ampctl.target import Target
    from ampctl.upgrade.fleetstate import FleetState


@dataclass
class ClusterPlan:
    target: Target
    request: ProvisionRequest
    current: str | None = None
    changes: list[str] = field(default_factory=list)
    bridge: Bridge | None = None  # on the way to 3.x, for a cluster not there yet
    deployed: dict[str, Any] = field(default_factory=dict)  # the release's values as deployed

    @property
    def name(self) -> str:
        return self.target.cluster

    @property
    def done(self) -> bool:
        return self.current == self.request.chart_version

    def to_json(self, now: datetime) -> dict[str, Any]:
        item: dict[str, Any] = {
            "cluster": self.name, "role": "primary" if self.request.primary else "agent", "current": self.current,
            "target": self.request.chart_version, "done": self.done, "changes": self.changes,
        }  # fmt: skip
        if self.bridge is not None:
            item["bridge"] = {"since": self.bridge.since.isoformat() if self.bridge.since else None,
                              "hours": round(self.bridge.ran(now).total_seconds() / 3600, 1),
                              "crossed": self.bridge.crossed(now)}  # fmt: skip
        return item


def request_for(base: ProvisionRequest, state: FleetState, cluster: str, target: str) -> ProvisionRequest:
    """One cluster's turn: the fleet's shape, the target version, and leave to mix versions meanwhile."""
    shape = state.shape
    return dataclasses.replace(
        base, primary=cluster == shape.primary, federated=shape.federated or not chart_line(target).on_amp,
        bucket=shape.bucket if shape.federated else None, chart_version=target, namespace=shape.namespace,
        release=shape.release, identity=shape.identity, upgrading=True, recording_rules=cluster == shape.primary,
        given=base.given | {"chart_version", "namespace", "release", "identity"},
    )  # fmt: skip


def read_cluster(plan: ClusterPlan, sessions: Sessions) -> ClusterRun:
    """The cluster's run (no Lease: nothing changes yet), its release and, on the way to 3.x, its finops-agent."""
    from ampctl.provision.flow import make_run
    from ampctl.upgrade.bridge import since

    run = make_run(plan.target, sessions, plan.request, None)
    run.workspace_id = run.workspace_id or (run.found_workspace or {}).get("workspaceId")
    r = run.request
    release = run.release(r.release, r.namespace)
    plan.current = release.chart_version if release is not None else None
    plan.deployed = dict(release.values or {}) if release is not None else {}
    if plan.current is not None and not r.line.on_amp and chart_line(plan.current).on_amp:
        plan.bridge = Bridge(plan.name, since(run.kube, r.namespace, r.release))
    return run


def judge(plan: ClusterPlan, run: ClusterRun, federated: bool) -> None:
    """Refuse what this cluster cannot do; else note what changes on it."""
    r = plan.request
    if plan.current is None:
        raise AmpctlError(
            f"{plan.name} has no Kubecost release {r.namespace}/{r.release}: there is nothing to upgrade",
            "set it up with `ampctl add-cluster` (or bootstrap for the primary), then upgrade",
        )
    paths.check_path(plan.current, r.chart_version, federated=federated, identity=r.identity)
    if not plan.done:
        from ampctl.provision import values as valuesmod
        from ampctl.provision.steps_helm import desired_values

        _, desired = desired_values(run)  # what the install will give helm, -f and --set included
        plan.changes = paths.changes(run.spec(), plan.current, valuesmod.diff_keys(plan.deployed, desired))


def read_all(plans: list[ClusterPlan], sessions: Sessions, federated: bool) -> list[str]:
    """Read and judge every cluster at once; one line per cluster that cannot be upgraded."""
    from ampctl.pool import together

    def one(plan: ClusterPlan) -> str | None:
        try:
            run = read_cluster(plan, sessions)
            judge(plan, run, federated)
        except AmpctlError as exc:
            return f"{plan.name}: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")
        return None

    reads: list[Callable[[], str | None]] = [partial(one, plan) for plan in plans]
    return [problem for problem in together(reads) if problem]
