"""`ampctl status`: one read-only table for the fleet."""

from __future__ import annotations

from typing import Optional

import typer

from ampctl.cli import provision_opts as o
from ampctl.cli.options import OutputFormat, OutputOpt, apply_output


def status(
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
    stale_after: str = typer.Option("5m", "--stale-after", help="A cluster whose newest sample is older is stale."),
    helm: Optional[str] = o.Helm,  # noqa: UP045
    parallel: int = typer.Option(64, "--parallel", min=1, max=64, help="Clusters queried at once."),
    output_format: Optional[OutputFormat] = OutputOpt,  # noqa: UP045
) -> None:
    """Per cluster: release, roles, ServiceAccounts, last sample in the workspace, ETL objects (read-only)."""
    from ampctl import output
    from ampctl.doctor.options import parse_duration
    from ampctl.fleetstatus import collect, show
    from ampctl.teardown.select import choose

    apply_output(output_format)
    chosen = choose(fleet_file, contexts, all_clusters, kubeconfig=kubeconfig, region=region, profile=profile)
    fleet = chosen.fleet
    p = o.with_fleet(ctx, fleet)
    scope = collect.Scope(
        targets=chosen.targets,
        alias=p["alias"],
        workspace_id=p["workspace_id"],
        namespace=p["namespace"],
        release=p["release"],
        bucket=p["bucket"],
        federated=bool(fleet.get("federated")) if fleet else None,
        stale_after=parse_duration(stale_after, "--stale-after"),
        helm=helm,
    )
    result = collect.collect(scope, chosen.sessions.for_region, chosen.region, parallel)
    if output.is_json():
        output.emit_json(show.as_json(result))
    else:
        show.table(result)
