"""`ampctl bootstrap`: the primary cluster, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ampctl.cli import options as o

SETTINGS = (
    "federated", "alias", "workspace_id", "bucket", "kms_key", "namespace", "release", "chart", "chart_repo",
    "chart_version", "extra_values", "set_values", "timeout", "seed_recording_rules", "create_oidc_provider",
    "seed_policies", "product_key_file", "prom_cluster_id_label", "values_dir", "helm", "override_shape",
)  # fmt: skip


def bootstrap(
    ctx: typer.Context,
    contexts: list[str] = o.Contexts,
    cluster: Optional[str] = o.Cluster,
    fleet: Optional[str] = o.Fleet,
    federated: Optional[bool] = o.Federated,
    override_shape: bool = o.OverrideShape,
    alias: Optional[str] = o.Alias,
    workspace_id: Optional[str] = o.WorkspaceId,
    bucket: Optional[str] = o.Bucket,
    kms_key: Optional[str] = o.KmsKey,
    namespace: Optional[str] = o.Namespace,
    release: Optional[str] = o.Release,
    chart: Optional[str] = o.Chart,
    chart_repo: Optional[str] = o.ChartRepo,
    chart_version: Optional[str] = o.Version,
    extra_values: list[str] = o.Values,
    set_values: list[str] = o.Set,
    timeout: Optional[str] = o.Timeout,
    no_rules: bool = o.NoRules,
    seed_recording_rules: bool = o.SeedRules,
    create_oidc_provider: bool = o.CreateOidc,
    seed_policies: bool = o.SeedPolicies,
    product_key_file: Optional[Path] = o.ProductKey,
    prom_cluster_id_label: Optional[str] = o.PromLabel,
    values_dir: Optional[str] = o.ValuesDir,
    helm: Optional[str] = o.Helm,
    yes: bool = o.Yes,
    dry_run: bool = o.DryRun,
) -> None:
    """Set up the primary cluster: AMP workspace, recording rules, \\[bucket], IAM, service accounts, values, Helm.

    Records the fleet's shape (mode, bucket, chart version, namespace, release) on the workspace.
    """
    from ampctl.provision.command import ProvisionOrder, run

    given = o.given(ctx.params, *SETTINGS)
    given["recording_rules"] = not no_rules
    run(ProvisionOrder(o.selection(ctx.params), primary=True, given=given, yes=yes, dry_run=dry_run))
