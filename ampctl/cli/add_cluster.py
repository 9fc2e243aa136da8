"""`ampctl add-cluster`: additional clusters reusing the primary's workspace and bucket."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ampctl.cli import provision_opts as o
from ampctl.cli.options import OutputFormat, OutputOpt, apply_output


def add_cluster(
    ctx: typer.Context,
    contexts: list[str] = o.Contexts,
    kubeconfig: Optional[str] = o.Kubeconfig,  # noqa: UP045
    cluster: Optional[str] = o.Cluster,  # noqa: UP045
    region: Optional[str] = o.Region,  # noqa: UP045
    profile: Optional[str] = o.Profile,  # noqa: UP045
    federated: bool = o.Federated,
    alias: str = o.Alias,
    workspace_id: Optional[str] = o.WorkspaceId,  # noqa: UP045
    bucket: Optional[str] = o.Bucket,  # noqa: UP045
    namespace: str = o.Namespace,
    release: str = o.Release,
    chart: str = o.Chart,
    chart_repo: Optional[str] = o.ChartRepo,  # noqa: UP045
    version: Optional[str] = o.Version,  # noqa: UP045
    values: list[str] = o.Values,
    set_values: list[str] = o.Set,
    timeout: str = o.Timeout,
    seed_policies: bool = o.SeedPolicies,
    product_key_file: Optional[Path] = o.ProductKey,  # noqa: UP045
    prom_label: Optional[str] = o.PromLabel,  # noqa: UP045
    values_dir: str = o.ValuesDir,
    helm: Optional[str] = o.Helm,  # noqa: UP045
    parallel: int = o.Parallel,
    only: list[str] = typer.Option([], "--only", help="With a fleet file: only this cluster (repeatable)."),
    yes: bool = o.Yes,
    dry_run: bool = o.DryRun,
    output_format: Optional[OutputFormat] = OutputOpt,  # noqa: UP045
) -> None:
    """Add clusters to the fleet: IAM, service accounts, [Secret], values and Helm, in parallel."""
    from dataclasses import replace

    from ampctl import fleet as fleetmod
    from ampctl.errors import AmpctlError
    from ampctl.provision.flow import provision
    from ampctl.target import resolve

    apply_output(output_format)
    fleet, values = o.split_fleet(values)
    p = o.with_fleet(ctx, fleet)
    request = o.build_request(
        primary=False, federated=p["federated"], alias=p["alias"], workspace_id=p["workspace_id"],
        bucket=p["bucket"], kms_key=None, namespace=p["namespace"], release=p["release"], chart=p["chart"],
        chart_repo=p["chart_repo"], version=p["version"], values=values, set_values=set_values, timeout=timeout,
        no_rules=True, seed_rules=False, create_oidc=False, seed_policies=seed_policies,
        product_key_file=product_key_file, prom_label=prom_label, values_dir=values_dir, helm=helm,
    )  # fmt: skip
    mode = "federated" if p["federated"] else "quick-start"
    if fleet is not None:
        if contexts or cluster:
            raise AmpctlError("--context/--cluster and a fleet file both name clusters", "use --only NAME instead")
        members = fleetmod.select(fleet, only)
        if not members:
            raise AmpctlError(f"{fleet.path} lists no additional clusters", "add them under `clusters:`")
        pairs = [
            (fleetmod.target(fleet, m, kubeconfig),
             replace(request, fleet=fleet.name, extra_values=(*m.values, *request.extra_values)))
            for m in members
        ]  # fmt: skip
        provision(
            pairs, profile=profile, yes=yes, dry_run=dry_run, parallel=parallel,
            title=f"add-cluster ({mode}: {', '.join(m.name for m in members)})",
        )  # fmt: skip
        return
    if only:
        raise AmpctlError("--only selects clusters of a fleet file", "pass the fleet file with -f")
    if cluster and len(contexts) > 1:
        raise AmpctlError("--cluster applies to a single context", "use EKS context ARNs for several clusters")
    chosen: list[str | None] = list(contexts) or [None]
    targets = [resolve(c, kubeconfig=kubeconfig, cluster=cluster, region=region) for c in chosen]
    names = [t.cluster for t in targets]
    if len(set(names)) != len(names):
        raise AmpctlError(f"a cluster is named twice: {', '.join(names)}", "give each context once")
    provision(
        [(t, request) for t in targets], profile=profile, yes=yes, dry_run=dry_run, parallel=parallel,
        title=f"add-cluster ({mode}: {', '.join(names)})",
    )  # fmt: skip
