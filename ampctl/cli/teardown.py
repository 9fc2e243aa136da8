"""`ampctl teardown`: remove what ampctl created, for one cluster or the whole fleet."""

from __future__ import annotations

from typing import Optional

import typer

from ampctl.cli import provision_opts as o
from ampctl.cli.options import OutputFormat, OutputOpt, apply_output


def teardown(
    ctx: typer.Context,
    fleet_file: Optional[str] = o.FleetFile,  # noqa: UP045
    contexts: list[str] = o.Contexts,
    all_clusters: bool = o.AllClusters,
    kubeconfig: Optional[str] = o.Kubeconfig,  # noqa: UP045
    region: Optional[str] = o.Region,  # noqa: UP045
    profile: Optional[str] = o.Profile,  # noqa: UP045
    alias: str = o.Alias,
    workspace_id: Optional[str] = o.WorkspaceId,  # noqa: UP045
    bucket: Optional[str] = o.Bucket,  # noqa: UP045
    namespace: str = o.Namespace,
    release: str = o.Release,
    delete_workspace: bool = typer.Option(False, "--delete-workspace", help="Also delete the AMP workspace."),
    delete_bucket: bool = typer.Option(False, "--delete-bucket", help="Also delete the ETL bucket (if empty)."),
    force: bool = typer.Option(False, "--force", help="With --delete-bucket: delete its objects too."),
    helm: Optional[str] = o.Helm,  # noqa: UP045
    parallel: int = o.Parallel,
    yes: bool = o.Yes,
    dry_run: bool = o.DryRun,
    output_format: Optional[OutputFormat] = OutputOpt,  # noqa: UP045
) -> None:
    """Delete ampctl's release, Secrets, ServiceAccounts, namespace and IAM roles; workspace and bucket on request."""
    from ampctl.errors import AmpctlError
    from ampctl.teardown import flow
    from ampctl.teardown.select import choose

    apply_output(output_format)
    chosen = choose(fleet_file, contexts, all_clusters, kubeconfig=kubeconfig, region=region, profile=profile)
    if (delete_workspace or delete_bucket) and not chosen.whole_fleet:
        raise AmpctlError(
            "--delete-workspace/--delete-bucket remove what the whole fleet shares",
            "tear down the whole fleet (-f ampctl.yaml or --all), or leave them out",
        )
    p = o.with_fleet(ctx, chosen.fleet)
    request = flow.Request(
        namespace=p["namespace"], release=p["release"], alias=p["alias"], workspace_id=p["workspace_id"],
        bucket=p["bucket"], delete_workspace=delete_workspace, delete_bucket=delete_bucket, force=force, helm=helm,
    )  # fmt: skip
    names = ", ".join(t.cluster for t in chosen.targets) or "no clusters"
    flow.teardown(chosen, request, yes=yes, dry_run=dry_run, parallel=parallel, title=f"teardown ({names})")
