"""Plan every cluster's teardown (and the shared workspace and bucket), confirm, apply in reverse order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ampctl import output
from ampctl.errors import AmpctlError
from ampctl.plan import executor
from ampctl.plan.confirm import confirm
from ampctl.plan.step import Step
from ampctl.selection import Chosen
from ampctl.spec import DEFAULT_VALUES_DIR
from ampctl.teardown.run import TeardownRun

SHARED = "workspace and bucket"
RETIRED = "AMP workspace"  # what --retire-amp removes for the whole fleet


@dataclass(frozen=True)
class Request:
    namespace: str
    release: str
    alias: str
    workspace_id: str | None
    bucket: str | None
    delete_workspace: bool
    delete_bucket: bool
    force: bool
    helm: str | None
    workspace_role_arn: str | None = None
    retire_amp: bool = False  # only the AMP side of a fleet moved to 3.x (ampctl.teardown.retire)
    values_dir: str = DEFAULT_VALUES_DIR


def check_request(request: Request) -> None:
    """The names a teardown looks for, checked before it looks."""
    from ampctl import validate

    validate.namespace(request.namespace)
    validate.release_name(request.release)
    validate.workspace_alias(request.alias)
    if request.workspace_id:
        validate.workspace_id(request.workspace_id)
    if request.bucket:
        validate.bucket_name(request.bucket)
    if request.workspace_role_arn:
        validate.role_arn(request.workspace_role_arn)


def cluster_steps(run: TeardownRun) -> list[Step[TeardownRun]]:
    """The reverse of provisioning: release, Secrets, ServiceAccounts, namespace, pod identity associations, then
    IAM."""
    from ampctl.spec import OBJECT_STORE_SECRET, PRODUCT_KEY_SECRET, SA_COST_ANALYZER, SA_PROMETHEUS
    from ampctl.teardown.steps_aws import DeleteClusterRole, DeleteOidcProvider, DeleteS3Policy, DeleteWorkspaceRole
    from ampctl.teardown.steps_kube import DeleteNamespace, DeleteObject, UninstallKubecost
    from ampctl.teardown.steps_podid import DeletePodIdentityAssociations
    from ampctl.teardown.steps_storage import storage_steps

    accounts = {"cost-analyzer": SA_COST_ANALYZER, "prometheus-server": SA_PROMETHEUS} | kubecost3_accounts(run)
    steps: list[Step[TeardownRun]] = [UninstallKubecost(run)]
    steps += [DeleteObject(run, "secret", name) for name in (OBJECT_STORE_SECRET, PRODUCT_KEY_SECRET)]
    steps += [DeleteObject(run, "service_account", name) for name in accounts.values()]
    steps += [DeleteNamespace(run)]
    steps += [DeletePodIdentityAssociations(run, tuple(accounts.values()))]
    steps += [DeleteClusterRole(run, component) for component in accounts]
    if run.workspace_account is not None:
        steps += [DeleteWorkspaceRole(run, "cost-analyzer"), DeleteWorkspaceRole(run, "prometheus-server")]
    steps += [DeleteS3Policy(run), DeleteOidcProvider(run)]
    steps += storage_steps(run)
    return steps


def kubecost3_accounts(run: TeardownRun) -> dict[str, str]:
    """A Kubecost 3.x cluster's components that use the bucket -> their ServiceAccounts (ampctl.lines.v3), when
    the release is on 3.x or a 3.x role is left (a teardown that stopped after the uninstall); else none, and a
    1.x/2.x cluster's plan stays as it was."""
    from ampctl.aws.iam import get_role
    from ampctl.lines.v3 import FINOPS_AGENT, accounts
    from ampctl.naming import role_name
    from ampctl.versions import line_or_none

    release = run.read_release(run.release, run.namespace)
    line = line_or_none(release.chart_version) if release is not None else None
    on_3x = line is not None and not line.on_amp  # a version ampctl does not list: judged by its nearest line
    if on_3x or get_role(run.client("iam"), role_name(run.cluster, FINOPS_AGENT)) is not None:
        return accounts(True, run.release)  # the aggregator's too: absent on an agent, planned as absent
    return {}


def shared_steps(request: Request) -> Callable[[TeardownRun], list[Step[TeardownRun]]]:
    def steps(run: TeardownRun) -> list[Step[TeardownRun]]:
        from ampctl.naming import default_bucket
        from ampctl.teardown.steps_aws import DeleteBucket, DeleteWorkspace

        found: list[Step[TeardownRun]] = []
        if request.delete_workspace:
            found.append(DeleteWorkspace(run, request.alias, request.workspace_id))
        if request.delete_bucket:
            bucket = request.bucket or default_bucket(run.account, run.aws.region)
            found.append(DeleteBucket(run, bucket, request.force))
        return found

    return steps


def _retirement(chosen: Chosen, request: Request) -> Any:
    from ampctl.teardown.retire import Where, gate

    where = Where(
        request.alias,
        request.workspace_id,
        request.bucket,
        request.workspace_role_arn,
        request.namespace,
        request.release,
        request.helm,
    )
    return gate(chosen, where)


def summary(plans: list[executor.ClusterPlan[TeardownRun]], applied: bool) -> dict[str, Any]:
    items = []
    for p in plans:
        item: dict[str, Any] = {"cluster": p.name, "ok": p.error is None}
        if p.error:
            item.update(error=p.error.message, hint=p.error.hint)
        item["steps"] = [{"step": s.title, "action": c.action.value, "detail": c.detail} for s, c in p.steps]
        item["left_alone"] = p.run.left_alone if p.run is not None else []
        item["out_of_reach"] = p.run.out_of_reach if p.run is not None else []
        item["applied"] = applied and p.error is None
        items.append(item)
    return {"clusters": items}


def teardown(
    chosen: Chosen, request: Request, *, yes: bool, dry_run: bool, parallel: int, title: str, wait_lock: float = 0.0
) -> None:
    """Plan, confirm and apply. Each cluster holds its Lease from before its plan's reads (a dry run takes none),
    so a teardown and a provisioning run of one cluster exclude each other, and the shared workspace and bucket
    (which need every cluster of the fleet planned without error) are not deleted while a cluster is being set up.
    """
    check_request(request)
    sessions = chosen.sessions

    def make(target: Any) -> TeardownRun:
        from ampctl.target import check_account

        aws = sessions.for_region(target.region)
        check_account(target, aws.account())
        run = TeardownRun(target, aws, request.namespace, request.release, request.helm, request.workspace_role_arn)
        if not dry_run:
            run.hold_lease(wait_lock)
        return run

    retirement = _retirement(chosen, request) if request.retire_amp else None  # refused here, before any Lease
    steps_for = cluster_steps
    if retirement is not None:
        from ampctl.teardown.retire import cluster_steps as retire_steps

        steps_for = retire_steps(request.values_dir)
    jobs = [(t.cluster, (lambda t=t: make(t))) for t in chosen.targets]
    plans = executor.plan(jobs, steps_for, parallel)
    try:
        if retirement is not None and retirement.workspace is not None:
            from ampctl.teardown.retire import shared_steps as retire_shared

            if retirement.whole_fleet:
                home = (RETIRED, lambda: TeardownRun(None, sessions.for_region(chosen.region), "", "", None,
                                                     request.workspace_role_arn))  # fmt: skip
                plans += executor.plan([home], retire_shared(retirement), 1)
            else:
                output.warn(f"AMP workspace {retirement.workspace['workspaceId']} kept: it is retired with the whole "
                            "fleet (the fleet file without --only, or --all)")  # fmt: skip
        elif request.delete_workspace or request.delete_bucket:
            shared = (
                SHARED,
                lambda: TeardownRun(None, sessions.for_region(chosen.region), "", "", None, request.workspace_role_arn),
            )
            plans += executor.plan([shared], shared_steps(request), 1)
        _plan_and_apply(plans, request, yes=yes, dry_run=dry_run, parallel=parallel, title=title)
    finally:
        for p in plans:
            if p.run is not None:
                p.run.release_lease()


def _plan_and_apply(
    plans: list[executor.ClusterPlan[TeardownRun]],
    request: Request,
    *,
    yes: bool,
    dry_run: bool,
    parallel: int,
    title: str,
) -> None:
    executor.show_plan(plans, title)
    for p in plans:
        titles = [step.title for step, _ in p.steps]
        left_alone = p.run.left_alone if p.run is not None else []
        left_alone.sort(key=lambda what: titles.index(what) if what in titles else len(titles))
        for what in left_alone:
            output.warn(f"{p.name}: {what} exists but ampctl did not create it: left alone")
        for what in p.run.out_of_reach if p.run is not None else []:
            output.warn(
                f"{p.name}: {what} stays: pass --workspace-account-role (or the fleet file's workspace.role_arn) "
                "to delete it too"
            )
    changes = sum(p.changes for p in plans)
    if not any(p.error for p in plans):  # a plan that failed applies nothing: its errors are raised below
        _apply(plans, changes, yes=yes, dry_run=dry_run, parallel=parallel)
    if output.is_json():
        output.emit_json(summary(plans, applied=changes > 0 and not dry_run))
    executor.raise_errors(plans)


def _apply(
    plans: list[executor.ClusterPlan[TeardownRun]], changes: int, *, yes: bool, dry_run: bool, parallel: int
) -> None:
    """The clusters first, each holding its Lease; the shared workspace and bucket only when every cluster is gone."""
    if changes == 0:
        output.info("[green]nothing to do[/green]: nothing ampctl created is left")
    elif dry_run:
        output.info(f"dry run: {changes} deletion(s) planned, nothing deleted")
    elif confirm(changes, yes):
        from ampctl.kube.lease import hold_all

        clusters = [p for p in plans if p.name not in (SHARED, RETIRED)]
        hold_all(clusters)
        executor.apply(clusters, parallel)
        if not any(p.error for p in clusters):
            executor.apply([p for p in plans if p.name in (SHARED, RETIRED)], 1)
    else:
        raise AmpctlError("cancelled: nothing was deleted", "re-run and confirm, or pass --yes")
