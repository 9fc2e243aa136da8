"""`ampctl bootstrap`: the primary cluster, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ampctl.cli import provision_opts as o
from ampctl.cli.options import OutputFormat, OutputOpt, apply_output


def bootstrap(
    ctx: typer.Context,
    context: Optional[str] = o.Context,  # noqa: UP045
    kubeconfig: Optional[str] = o.Kubeconfig,  # noqa: UP045
    cluster: Optional[str] = o.Cluster,  # noqa: UP045
    region: Optional[str] = o.Region,  # noqa: UP045
    profile: Optional[str] = o.Profile,  # noqa: UP045
    federated: bool = o.Federated,
    alias: str = o.Alias,
    workspace_id: Optional[str] = o.WorkspaceId,  # noqa: UP045
    bucket: Optional[str] = o.Bucket,  # noqa: UP045
    kms_key: Optional[str] = o.KmsKey,  # noqa: UP045
    namespace: str = o.Namespace,
    release: str = o.Release,
    chart: str = o.Chart,
    chart_repo: Optional[str] = o.ChartRepo,  # noqa: UP045
    version: Optional[str] = o.Version,  # noqa: UP045
    values: list[str] = o.Values,
    set_values: list[str] = o.Set,
    timeout: str = o.Timeout,
    no_rules: bool = o.NoRules,
    seed_rules: bool = o.SeedRules,
    create_oidc: bool = o.CreateOidc,
    seed_policies: bool = o.SeedPolicies,
    product_key_file: Optional[Path] = o.ProductKey,  # noqa: UP045
    prom_label: Optional[str] = o.PromLabel,  # noqa: UP045
    values_dir: str = o.ValuesDir,
    helm: Optional[str] = o.Helm,  # noqa: UP045
    yes: bool = o.Yes,
    dry_run: bool = o.DryRun,
    output_format: Optional[OutputFormat] = OutputOpt,  # noqa: UP045
) -> None:
    """Set up the primary cluster: AMP workspace, [bucket], IAM, service accounts, values, Helm."""
    from dataclasses import replace

    from ampctl.fleet import target as fleet_target
    from ampctl.provision.flow import provision
    from ampctl.target import resolve

    apply_output(output_format)
    fleet, values = o.split_fleet(values)
    p = o.with_fleet(ctx, fleet)
    if fleet is not None:
        values = [*fleet.primary.values, *values]
    request = o.build_request(
        primary=True, federated=p["federated"], alias=p["alias"], workspace_id=p["workspace_id"],
        bucket=p["bucket"], kms_key=kms_key, namespace=p["namespace"], release=p["release"], chart=p["chart"],
        chart_repo=p["chart_repo"], version=p["version"], values=values, set_values=set_values, timeout=timeout,
        no_rules=no_rules, seed_rules=seed_rules, create_oidc=create_oidc, seed_policies=seed_policies,
        product_key_file=product_key_file, prom_label=prom_label, values_dir=values_dir, helm=helm,
    )  # fmt: skip
    if fleet is not None:
        request = replace(request, fleet=fleet.name)
    if fleet is not None and context is None:
        target = fleet_target(fleet, fleet.primary, kubeconfig)
    else:
        target = resolve(context, kubeconfig=kubeconfig, cluster=cluster, region=p["region"])
    mode = "federated" if p["federated"] else "quick-start"
    provision(
        [(target, request)], profile=profile, yes=yes, dry_run=dry_run, parallel=1,
        title=f"bootstrap ({mode}, primary {target.cluster})",
    )  # fmt: skip
