"""`ampctl status`: one read-only table for the fleet."""

from __future__ import annotations

from typing import Optional

import typer

from ampctl.cli import options as opt

SETTINGS = ("alias", "workspace_id", "workspace_role_arn", "bucket", "namespace", "release", "stale_after", "helm")


def status(
    ctx: typer.Context,
    contexts: list[str] = opt.Contexts,
    cluster: Optional[str] = opt.Cluster,
    fleet: Optional[str] = opt.Fleet,
    only: list[str] = opt.Only,
    all_clusters: bool = opt.AllClusters,
    alias: Optional[str] = opt.Alias,
    workspace_id: Optional[str] = opt.WorkspaceId,
    workspace_role_arn: Optional[str] = opt.WorkspaceRole,
    bucket: Optional[str] = opt.Bucket,
    namespace: Optional[str] = opt.Namespace,
    release: Optional[str] = opt.Release,
    stale_after: Optional[str] = typer.Option(
        None, "--stale-after", help="A cluster whose newest sample is older is stale.", show_default="5m"
    ),
    helm: Optional[str] = opt.Helm,
    parallel: int = typer.Option(64, "--parallel", min=1, max=64, help="Clusters queried at once."),
) -> None:
    """Per cluster: mode, chart, release, roles, ServiceAccounts, last sample, ETL objects (read-only).

    Without a target: the clusters of ./ampctl.yaml when present, else the current context.
    """
    from ampctl.fleetstatus.command import status as run

    run(opt.selection(ctx.params), opt.given(ctx.params, *SETTINGS), parallel)
