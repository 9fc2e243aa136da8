"""`teardown --retire-amp`: once a fleet has moved from Kubecost 1.x/2.x on AMP to 3.x (ampctl upgrade), remove its AMP
side and keep the 3.x fleet.

Removed: per cluster, the 2.x ServiceAccounts still there, their pod identity associations, the cost-analyzer and
prometheus-server roles (their inline policy to assume the workspace's roles goes with them; the S3 policy is only
detached: the 3.x roles use it), the roles in a workspace account, and the 2.x values files ampctl wrote here; for the
whole fleet, ampctl's recording rules and the workspace when ampctl made it (another's keeps, without ampctl's tags).
Kept: the bucket, the S3 policies, the 3.x roles, ServiceAccounts and release.

Refused, before any change: while a chosen cluster still runs the cost-analyzer chart; while the workspace records an
upgrade that is not done; when nothing says the fleet moved to 3.x (no upgrade to 3.x recorded, no 3.x shape on the
bucket); and, for the workspace, while a cluster outside the selection still has its AMP roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ampctl.errors import AmpctlError
from ampctl.naming import COMPONENTS
from ampctl.plan.step import Step
from ampctl.teardown.run import TeardownRun

if TYPE_CHECKING:
    from ampctl.selection import Chosen

AMP_COMPONENTS = tuple(COMPONENTS)  # the 2.x roles' components (ampctl.naming)


@dataclass(frozen=True)
class Where:
    """Where the fleet's workspace and bucket are, as teardown was told (flags or the fleet file)."""

    alias: str
    workspace_id: str | None
    bucket: str | None
    workspace_role_arn: str | None
    namespace: str
    release: str
    helm: str | None


@dataclass(frozen=True)
class Retirement:
    workspace: dict[str, Any] | None  # None: gone already (or never found)
    whole_fleet: bool  # the workspace is retired only with the whole fleet chosen


def _workspace(run: TeardownRun, request: Where) -> dict[str, Any] | None:
    from ampctl.aws import amp

    client = run.workspace_client("amp")
    found = amp.describe(client, request.workspace_id) if request.workspace_id else None
    if found is None and not request.workspace_id:
        found = amp.one_by_alias(client, request.alias, run.aws.region)
    # A workspace DELETING is on its way out (WorkspaceStatusCode, botocore amp model): as good as gone.
    return found if found is not None and amp.status_of(found) != "DELETING" else None


def _refuse_unfinished(workspace: dict[str, Any] | None, run: TeardownRun, request: Where) -> None:
    """The fleet moved to 3.x: its recorded upgrade to 3.x is done, or (no such record) its bucket holds a 3.x
    shape."""
    from ampctl.fleetshape import from_tags, workspace_tags
    from ampctl.kubecost3.shape import read
    from ampctl.naming import default_bucket
    from ampctl.upgrade.record import DONE
    from ampctl.upgrade.record import from_tags as progress_of

    tags = workspace_tags(workspace) if workspace is not None else {}
    where = f"AMP workspace {workspace['workspaceId']}" if workspace is not None else "no AMP workspace"
    progress = progress_of(tags)
    if progress is not None and progress.under_way:
        raise AmpctlError(
            f"{where} records {progress.describe()}: AMP is retired only once the whole fleet is on 3.x",
            "finish the upgrade (`ampctl upgrade`; `ampctl status` shows where it stands), then re-run",
        )
    if progress is not None and progress.to_3x and progress.state == DONE:
        return
    amp_shape = from_tags(tags)
    bucket = request.bucket or (amp_shape.bucket if amp_shape else None) or default_bucket(run.account, run.region)
    shape = read(run.aws, bucket)[2]
    if workspace is None and not request.bucket and (shape is None or not shape.off_amp):
        return  # no workspace left and no bucket named (a re-run after the retire): each cluster's release judges
    if shape is None or not shape.off_amp:
        raise AmpctlError(
            f"the fleet was never moved to Kubecost 3.x: {where} records no upgrade to 3.x, and bucket {bucket} "
            "holds no 3.x fleet shape",
            "move it first (`ampctl upgrade --to 2.9.7`, then `--to 3.2.1`); to remove the whole fleet: "
            "`ampctl teardown --delete-workspace`",
        )


def amp_role_holders(iam: Any) -> dict[str, str | None]:
    """Cluster -> the fleet its role names, for every cluster with an ampctl cost-analyzer or prometheus-server role."""
    from ampctl.aws.iam import managed_roles, tag_value
    from ampctl.naming import CLUSTER_TAG, FLEET_TAG, role_name

    found: dict[str, str | None] = {}
    for name, tags in managed_roles(iam).items():
        cluster = tag_value(tags, CLUSTER_TAG)
        if cluster and name in {role_name(cluster, c) for c in AMP_COMPONENTS}:
            found[cluster] = tag_value(tags, FLEET_TAG)
    return found


def _refuse_outsiders(chosen: Chosen, run: TeardownRun, workspace: dict[str, Any]) -> None:
    """The workspace goes only when no cluster outside the selection may still use it: one with its ampctl AMP roles
    in this account, of this fleet or of no named fleet (ampctl tags each role with ampctl/cluster and ampctl/fleet)."""
    from ampctl.fleetshape import from_tags, workspace_tags

    shape = from_tags(workspace_tags(workspace))
    fleet = (shape.fleet if shape else None) or (chosen.fleet.name if chosen.fleet else None)
    chosen_names = {t.cluster for t in chosen.targets}
    holders = amp_role_holders(run.client("iam"))
    outside = sorted(c for c, f in holders.items() if c not in chosen_names and f in (None, fleet))
    if outside:
        raise AmpctlError(
            f"cluster(s) {', '.join(outside)} outside the selection still have their AMP roles: they may still use "
            f"AMP workspace {workspace['workspaceId']}",
            "retire with every cluster of the fleet (the fleet file, or --all with their contexts), "
            "or tear those clusters down first",
        )


def gate(chosen: Chosen, request: Where) -> Retirement:
    """Read-only: refuse a retirement that is not safe yet, else what the shared plan acts on."""
    run = TeardownRun(None, chosen.sessions.for_region(chosen.region), "", "", None, request.workspace_role_arn)
    workspace = _workspace(run, request)
    _refuse_unfinished(workspace, run, request)
    _refuse_amp_clusters(chosen, request)
    if workspace is not None and chosen.whole_fleet:
        _refuse_outsiders(chosen, run, workspace)
    return Retirement(workspace, chosen.whole_fleet)


def _refuse_amp_clusters(chosen: Chosen, request: Where) -> None:
    """Every chosen cluster's release read at once, before any Lease is taken; each cluster's plan reads it again
    under its Lease."""
    from functools import partial

    from ampctl.pool import together

    def one(target: Any) -> str | None:
        aws = chosen.sessions.for_region(target.region)
        try:
            refuse_amp_release(TeardownRun(target, aws, request.namespace, request.release, request.helm))
        except AmpctlError as exc:
            return exc.message
        return None

    found = [m for m in together([partial(one, t) for t in chosen.targets]) if m]
    if found:
        raise AmpctlError(found[0] if len(found) == 1 else f"{len(found)} clusters: " + "; ".join(found), HINT)


HINT = "move them to 3.x (`ampctl upgrade`), or tear them down (`ampctl teardown --context ...`), then re-run"


def refuse_amp_release(run: TeardownRun) -> None:
    """A cluster that still runs the cost-analyzer chart (1.x/2.x) uses AMP: its release says so, or (releases a
    GitOps engine applies have no helm record) its cost-analyzer Deployment, named by the chart's
    "cost-analyzer.fullname" helper (templates/_helpers.tpl, cost-analyzer 2.9.7); the 3.x chart has none (helm
    template of kubecost 3.2.1 renders no `<release>-cost-analyzer` Deployment: tests/charts/test_kubecost3.py)."""
    from ampctl.versions import line_or_none

    release = run.read_release(run.release, run.namespace)
    if release is not None:
        line = line_or_none(release.chart_version)
        if line is None or line.on_amp:  # no chart version at all: not judged safe
            raise AmpctlError(
                f"{run.cluster} still runs Kubecost {release.chart_version or '(unknown version)'} on AMP "
                f"(release {run.namespace}/{run.release}): AMP cannot be retired yet",
                HINT,
            )
    name = run.release if "cost-analyzer" in run.release else f"{run.release}-cost-analyzer"[:63].rstrip("-")
    if run.kube.read("deployment", run.namespace, name, group="apps") is not None:
        raise AmpctlError(
            f"{run.cluster} still runs the cost-analyzer Deployment {run.namespace}/{name} (Kubecost 1.x/2.x on AMP): "
            "AMP cannot be retired yet",
            HINT,
        )


def cluster_steps(values_dir: str) -> Any:
    def steps(run: TeardownRun) -> list[Step[TeardownRun]]:
        from ampctl.spec import SA_COST_ANALYZER, SA_PROMETHEUS
        from ampctl.teardown.steps_amp import DeleteAmpValuesFiles
        from ampctl.teardown.steps_aws import DeleteClusterRole, DeleteWorkspaceRole
        from ampctl.teardown.steps_kube import DeleteObject
        from ampctl.teardown.steps_podid import DeletePodIdentityAssociations

        refuse_amp_release(run)
        accounts = (SA_COST_ANALYZER, SA_PROMETHEUS)
        found: list[Step[TeardownRun]] = [DeleteObject(run, "service_account", name) for name in accounts]
        found.append(DeletePodIdentityAssociations(run, accounts))
        found += [DeleteClusterRole(run, component) for component in AMP_COMPONENTS]
        if run.workspace_account is not None:
            found += [DeleteWorkspaceRole(run, component) for component in AMP_COMPONENTS]
        found.append(DeleteAmpValuesFiles(run, values_dir))
        return found

    return steps


def shared_steps(retirement: Retirement) -> Any:
    def steps(run: TeardownRun) -> list[Step[TeardownRun]]:
        from ampctl.teardown.steps_amp import DeleteRecordingRules, RetireWorkspace

        ws = retirement.workspace
        if ws is None:
            return []
        return [DeleteRecordingRules(run, str(ws["workspaceId"])), RetireWorkspace(run, ws)]

    return steps
