"""`ampctl status`: one read-only table for the fleet."""

from __future__ import annotations

from typing import Optional

import typer

from ampctl.cli import options as o

SETTINGS = ("alias", "workspace_id", "bucket", "namespace", "release", "stale_after", "helm")


def status(
    ctx: typer.Context,
    contexts: list[str] = o.Contexts,
    cluster: Optional[str] = o.Cluster,
    fleet: Optional[str] = o.Fleet,
    only: list[str] = o.Only,
    all_clusters: bool = o.AllClusters,
    alias: Optional[str] = o.Alias,
    workspace_id: Optional[str] = o.WorkspaceId,
    bucket: Optional[str] = o.Bucket,
    namespace: Optional[str] = o.Namespace,
    release: Optional[str] = o.Release,
    stale_after: Optional[str] = typer.Option(
        None, "--stale-after", help="A cluster whose newest sample is older is stale.", show_default="5m"
    ),
    helm: Optional[str] = o.Helm,
    parallel: int = typer.Option(64, "--parallel", min=1, max=64, help="Clusters queried at once."),
) -> None:
    """Per cluster: mode, chart, release, roles, ServiceAccounts, last sample, ETL objects (read-only).

    Without a target: the clusters of ./ampctl.yaml when present, else the current context.
    """
    from ampctl.fleetstatus.command import status as run

    run(o.selection(ctx.params), o.given(ctx.params, *SETTINGS), parallel)
