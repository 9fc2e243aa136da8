"""`ampctl teardown`: remove what ampctl created, for one cluster or the whole fleet."""

from __future__ import annotations

from typing import Optional

import typer

from ampctl.cli import options as o

SETTINGS = (
    "alias", "workspace_id", "bucket", "namespace", "release", "delete_workspace", "delete_bucket", "force", "helm",
)  # fmt: skip


def teardown(
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
    delete_workspace: bool = typer.Option(False, "--delete-workspace", help="Also delete the AMP workspace."),
    delete_bucket: bool = typer.Option(False, "--delete-bucket", help="Also delete the ETL bucket (if empty)."),
    force: bool = typer.Option(False, "--force", help="With --delete-bucket: delete its objects too."),
    helm: Optional[str] = o.Helm,
    parallel: int = o.Parallel,
    yes: bool = o.Yes,
    dry_run: bool = o.DryRun,
) -> None:
    """Delete ampctl's release, Secrets, ServiceAccounts, namespace and IAM roles; workspace and bucket on request.

    Without a target: the clusters of ./ampctl.yaml when present, else the current context.
    """
    from ampctl.teardown.command import teardown as run

    given = o.given(ctx.params, *SETTINGS)
    run(o.selection(ctx.params), given, yes=yes, dry_run=dry_run, parallel=parallel)
