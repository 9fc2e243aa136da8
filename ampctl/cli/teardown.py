"""`ampctl teardown`: remove what ampctl created, for one cluster or the whole fleet."""

from __future__ import annotations

from typing import Optional

import typer

from ampctl.cli import options as opt

SETTINGS = (
    "alias", "workspace_id",
    "workspace_role_arn", "bucket", "namespace", "release", "delete_workspace", "delete_bucket", "force", "helm",
    "retire_amp", "values_dir",
)  # fmt: skip


def teardown(
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
    delete_workspace: bool = typer.Option(False, "--delete-workspace", help="Also delete the AMP workspace."),
    delete_bucket: bool = typer.Option(False, "--delete-bucket", help="Also delete the ETL bucket (if empty)."),
    force: bool = typer.Option(False, "--force", help="With --delete-bucket: delete its objects too."),
    retire_amp: bool = typer.Option(
        False, "--retire-amp", help="After the fleet's move to Kubecost 3.x: remove only its AMP side."
    ),
    values_dir: Optional[str] = opt.ValuesDir,
    helm: Optional[str] = opt.Helm,
    parallel: int = opt.Parallel,
    yes: bool = opt.Yes,
    dry_run: bool = opt.DryRun,
    wait_lock: Optional[str] = opt.WaitLock,
) -> None:
    """Delete ampctl's release, Secrets, ServiceAccounts, namespace and IAM roles; workspace and bucket on request.

    With --retire-amp, once the whole fleet is on Kubecost 3.x: only its AMP side (the workspace if ampctl made it,
    the recording rules, the AMP roles, the 2.x ServiceAccounts and values files); the 3.x fleet stays.

    Without a target: the clusters of ./ampctl.yaml when present, else the current context.
    """
    from ampctl.teardown.command import teardown as run

    given = opt.given(ctx.params, *SETTINGS)
    run(opt.selection(ctx.params), given, yes=yes, dry_run=dry_run, parallel=parallel, wait_lock=wait_lock)
