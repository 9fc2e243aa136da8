"""bootstrap / add-cluster: resolve targets, plan, confirm, apply, summarise."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from ampctl import output
from ampctl.aws.session import Sessions
from ampctl.errors import AmpctlError
from ampctl.plan import executor
from ampctl.plan.confirm import confirm
from ampctl.provision.context import ClusterRun
from ampctl.provision.request import ProvisionRequest
from ampctl.target import Target


def make_run(target: Target, sessions: Sessions, request: ProvisionRequest, lock: float | None) -> ClusterRun:
    """The cluster's run, with what the plan needs read at once. With `lock` (seconds to wait for it), the
    cluster's Lease is taken before the cluster's own state is read: a run that plans to change it plans alone."""
    from ampctl import warm
    from ampctl.pool import together
    from ampctl.provision.follow import find_workspace, fleet_request
    from ampctl.target import check_account
    from ampctl.validate import cluster_name
    from ampctl.versions import check_identity

    cluster_name(target.cluster)
    if request.kms_key and request.primary:
        from ampctl.validate import kms_key

        kms_key(request.kms_key, target.region)  # the primary makes the bucket in its region
    aws = sessions.for_region(target.region)
    run = ClusterRun(target, aws, request, progress=output.info)

    def issuer() -> None:
        # Read with the identity: the first steps need it. A failure is left for the step that reports it.
        with contextlib.suppress(Exception):
            run.oidc_issuer()

    def leftovers() -> None:
        # Read with the identity too, whatever identity the fleet's shape then settles on (unused under Pod
        # Identity). A failure is left for the plan, which reads them again.
        with contextlib.suppress(Exception):
            run.leftover_associations()

    workspace: list[dict[str, Any] | None] = []
    lookup: list[BaseException] = []

    def find() -> None:
        # The workspace (with its fleet-shape tags) is found with the identity too: it needs only the region.
        try:
            workspace.append(find_workspace(aws, request))
        except Exception as exc:  # noqa: BLE001 - raised once the account is known to be the right one
            lookup.append(exc)

    def release() -> None:
        # The release as asked for, read with the identity too. When following the fleet's shape changes its
        # name or namespace, the plan reads that one instead; a failure is left to the plan, which reads again.
        warm.after_first_request()
        if request.no_helm:  # the GitOps engine owns the release: ampctl neither reads nor installs it
            return
        with contextlib.suppress(Exception):
            run.release(request.release, request.namespace)

    held: list[BaseException] = []

    def cluster_state() -> None:
        # The cluster's own state (its release, its associations) is read under its Lease.
        if lock is not None:
            try:
                run.hold_lease(lock)
            except Exception as exc:  # noqa: BLE001 - raised below, after the identity check
                held.append(exc)
                return
        together([leftovers, release])

    try:
        together([aws.account, issuer, find, cluster_state])
        check_account(target, aws.account())
        if held:
            raise held[0]
        if lookup and ("chart_version" not in request.given or request.line.on_amp):
            raise lookup[0]  # a 3.x cluster asked for needs no AMP workspace (nor the right to look for one)
        run.found_workspace = workspace[0]
        run.request, _ = fleet_request(aws, request, target.cluster, workspace[0])
        if lock is not None:
            run.hold_lease(lock)  # the fleet's namespace, when following its shape moved it
        check_identity(run.request.chart_version, run.request.identity)  # the version may be the fleet's
    except BaseException:
        run.release_lease()  # the run is not handed on: nothing else would release it
        raise
    return run


def summary(plans: list[executor.ClusterPlan[ClusterRun]], applied: bool) -> dict[str, Any]:
    from ampctl.endpoints import query_endpoint, remote_write_url

    clusters = []
    for p in plans:
        run = p.run
        item: dict[str, Any] = {"cluster": p.name, "ok": p.error is None}
        if run is not None:
            item["mode"] = "federated" if run.request.federated else "quick-start"
            item["role"] = "primary" if run.request.primary else "agent"
            item["identity"] = run.request.identity
        if p.error:
            item["error"] = p.error.message
            item["hint"] = p.error.hint
        if run is not None:
            ws = run.workspace_id
            item["context"] = run.target.context
            item["region"] = run.region
            item["workspace"] = {
                "id": ws,
                "arn": run.workspace_arn,
                "query_endpoint": query_endpoint(run.region, ws) if ws else None,
                "remote_write_url": remote_write_url(run.region, ws) if ws else None,
            }
            item.update(_in_step_order(run.outputs))
        item["steps"] = [
            {"step": step.title, "action": change.action.value, "detail": change.detail} for step, change in p.steps
        ]
        item["applied"] = applied and p.error is None
        clusters.append(item)
    return {"clusters": clusters}


# Steps record their outputs as they finish, in any order: the summary lists them in step order.
_OUTPUTS = ("bucket", "roles", "release", "files")


def _in_step_order(outputs: dict[str, Any]) -> dict[str, Any]:
    ordered = sorted(outputs, key=lambda k: _OUTPUTS.index(k) if k in _OUTPUTS else len(_OUTPUTS))
    return {k: dict(sorted(outputs[k].items())) if k == "roles" else outputs[k] for k in ordered}


def provision(
    jobs: Sequence[tuple[Target, ProvisionRequest]],
    *,
    sessions: Sessions,
    yes: bool,
    dry_run: bool,
    parallel: int,
    title: str,
    wait_lock: float = 0.0,
) -> None:
    """Plan every (cluster, request), show the plan, confirm, apply, and summarise.

    Each cluster holds its Lease from before its plan's reads to the end (a dry run takes none: it changes
    nothing), waiting up to `wait_lock` seconds for another run's.
    """
    from ampctl import warm
    from ampctl.inputs import check_requests
    from ampctl.provision.builder import steps_for

    check_requests([request for _, request in jobs])
    warm.start(warm.KUBERNETES, warm.TEMPLATES)  # pyhelm3 once a helm change is planned (the release is read without)
    lock = None if dry_run else wait_lock
    runs = [(t.cluster, (lambda t=t, r=r: make_run(t, sessions, r, lock))) for t, r in jobs]
    plans = executor.plan(runs, steps_for, parallel)
    try:
        _plan_and_apply(plans, yes=yes, dry_run=dry_run, parallel=parallel, title=title)
    finally:
        for p in plans:
            if p.run is not None:
                p.run.release_lease()


def _plan_and_apply(
    plans: list[executor.ClusterPlan[ClusterRun]], *, yes: bool, dry_run: bool, parallel: int, title: str
) -> None:
    executor.show_plan(plans, title)
    failed = [p.name for p in plans if p.error]
    if len(failed) == len(plans):
        if output.is_json():
            output.emit_json(summary(plans, applied=False))
        executor.raise_errors(plans)
    if failed:
        output.warn(f"{', '.join(failed)} could not be planned and will not be changed; the others go on")
    changes = sum(p.changes for p in plans if not p.error)
    if changes == 0:
        output.info("[green]nothing to change[/green]: everything is as planned")
    elif dry_run:
        output.info(f"dry run: {changes} change(s) planned, nothing applied")
    elif confirm(changes, yes):
        from ampctl import warm
        from ampctl.kube.lease import hold_all

        if any(change.action.mutates and "release" in step.gives for p in plans for step, change in p.steps):
            warm.start(warm.HELM)  # loaded while the steps before the install run
        hold_all(plans)
        executor.apply(plans, parallel)
    else:
        raise AmpctlError("cancelled: nothing was changed", "re-run and confirm, or pass --yes")
    result = summary(plans, applied=changes > 0 and not dry_run)
    if output.is_json():
        output.emit_json(result)
    else:
        show_result(result, dry_run)
    executor.raise_errors(plans)


def show_result(result: dict[str, Any], dry_run: bool) -> None:
    """One line per cluster on stdout: what was done and where Kubecost now points."""
    from rich.markup import escape

    for item in result["clusters"]:
        if not item["ok"]:
            output.show(f"[red]✗[/red] {escape(item['cluster'])}: {escape(item['error'])}")
            continue
        changed = sum(1 for s in item["steps"] if s["action"] != "unchanged")
        verb = "planned" if dry_run else "applied"
        parts = [f"{item['mode']} {item['role']}", f"{changed} change(s) {verb}" if changed else "up to date"]
        workspace = item.get("workspace", {}).get("id")
        if workspace:
            parts.append(f"workspace {workspace}")
        if item.get("bucket"):
            parts.append(f"bucket {item['bucket']}")
        release = item.get("release") or {}
        if release.get("revision"):
            parts.append(f"release {release['namespace']}/{release['name']} revision {release['revision']}")
        output.show(f"[green]✓[/green] {escape(item['cluster'])}: " + ", ".join(escape(p) for p in parts))
