"""`ampctl doctor`: read-only checks of Kubecost on AMP, per cluster, with a diagnosis."""

from __future__ import annotations

from typing import Optional

import typer

from ampctl.cli import options as opt

SETTINGS = (
    "namespace", "release", "alias", "workspace_id", "workspace_role_arn", "bucket", "wait", "max_sample_age",
    "log_window", "helm",
)  # fmt: skip


def doctor(
    ctx: typer.Context,
    contexts: list[str] = opt.Contexts,
    cluster: Optional[str] = opt.Cluster,
    fleet: Optional[str] = opt.Fleet,
    only: list[str] = opt.Only,
    all_clusters: bool = opt.AllClusters,
    namespace: Optional[str] = opt.Namespace,
    release: Optional[str] = opt.Release,
    alias: Optional[str] = opt.Alias,
    workspace_id: Optional[str] = opt.WorkspaceId,
    workspace_role_arn: Optional[str] = opt.WorkspaceRole,
    bucket: Optional[str] = typer.Option(
        None, "--bucket", help="Expected ETL bucket (default: the fleet's, else from ampctl's policy)."
    ),
    wait: Optional[str] = typer.Option(
        None, "--wait", help="Poll the PromQL checks until data arrives, up to e.g. 90s, 15m.", show_default="0"
    ),
    max_sample_age: Optional[str] = typer.Option(
        None, "--max-sample-age", help="Newer samples count as fresh data.", show_default="3m"
    ),
    log_window: Optional[str] = typer.Option(
        None, "--log-window", help="Log lines older than this are ignored.", show_default="15m"
    ),
    helm: Optional[str] = opt.Helm,
    parallel: int = typer.Option(64, "--parallel", min=1, max=64, help="Clusters checked at once."),
) -> None:
    """Check IRSA, values, workloads, logs, federated ETL, both PromQL paths and the fleet's shape; exit 2 on failure.

    Without a target: the clusters of ./ampctl.yaml when present, else the current context.
    """
    from ampctl.doctor.command import doctor as run

    raise typer.Exit(run(opt.selection(ctx.params), opt.given(ctx.params, *SETTINGS), parallel))
