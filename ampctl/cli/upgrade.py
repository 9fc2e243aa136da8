"""`ampctl upgrade`: change a fleet's Kubecost chart version in waves, gated by doctor."""

from __future__ import annotations

from typing import Optional

import typer

from ampctl.cli import options as opt

SETTINGS = (
    "alias", "workspace_id", "workspace_role_arn", "bucket", "chart", "chart_repo", "extra_values", "set_values",
    "timeout", "values_dir", "helm",
)  # fmt: skip


def upgrade(
    ctx: typer.Context,
    to: Optional[str] = typer.Option(
        None, "--to", help="Chart version to move the fleet to (default: the recorded upgrade's, to resume it)."
    ),
    canary: Optional[str] = typer.Option(
        None, "--canary", help="Cluster upgraded (and checked) alone first.", show_default="the primary"
    ),  # fmt: skip
    max_parallel: int = typer.Option(4, "--max-parallel", help="Clusters per wave after the canary and primary."),
    force: bool = typer.Option(
        False, "--force", help="Go to 3.x before the finops-agents have run two days on 2.9 (loses that day's data)."
    ),
    gate_wait: str = typer.Option(
        "10m", "--gate-wait", help="How long doctor waits for data after each wave before it judges it."
    ),
    max_sample_age: str = typer.Option(
        "3m", "--max-sample-age", help="doctor's gate: newer data than this counts as fresh (as doctor's option)."
    ),
    contexts: list[str] = opt.Contexts,
    cluster: Optional[str] = opt.Cluster,
    fleet: Optional[str] = opt.Fleet,
    only: list[str] = opt.Only,
    all_clusters: bool = opt.AllClusters,
    alias: Optional[str] = opt.Alias,
    workspace_id: Optional[str] = opt.WorkspaceId,
    workspace_role_arn: Optional[str] = opt.WorkspaceRole,
    bucket: Optional[str] = opt.Bucket,
    chart: Optional[str] = opt.Chart,
    chart_repo: Optional[str] = opt.ChartRepo,
    extra_values: list[str] = opt.Values,
    set_values: list[str] = opt.Set,
    timeout: Optional[str] = opt.Timeout,
    values_dir: Optional[str] = opt.ValuesDir,
    helm: Optional[str] = opt.Helm,
    yes: bool = opt.Yes,
    dry_run: bool = opt.DryRun,
    wait_lock: Optional[str] = opt.WaitLock,
) -> None:
    """Move the fleet to another chart version: a canary, the primary, then waves; doctor gates each wave.

    2.x to 2.y, the 2.9 bridge, and 2.9 to 3.x (once each finops-agent has run two days on 2.9). The progress is
    recorded with the fleet's shape: re-run the same command to resume. Without a target: ./ampctl.yaml, else the
    current context.
    """
    from ampctl.upgrade.command import UpgradeOrder, run

    order = UpgradeOrder(
        opt.selection(ctx.params), opt.given(ctx.params, *SETTINGS), target=to, canary=canary,
        max_parallel=max_parallel, force=force, gate_wait=gate_wait, max_sample_age=max_sample_age, yes=yes,
        dry_run=dry_run, wait_lock=wait_lock,
    )  # fmt: skip
    run(order)
