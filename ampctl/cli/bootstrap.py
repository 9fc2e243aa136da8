"""`ampctl bootstrap`: the primary cluster, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ampctl.cli import options as opt

SETTINGS = (
    "federated", "alias", "workspace_id",
    "workspace_role_arn", "bucket", "kms_key", "namespace", "release", "chart", "chart_repo",
    "chart_version", "extra_values", "set_values", "timeout", "seed_recording_rules", "create_oidc_provider",
    "seed_policies", "product_key_file", "prom_cluster_id_label", "identity", "install_pod_identity_agent",
    "storage_class", "install_ebs_csi_driver", "create_storage_class",
    "values_dir", "helm", "override_shape", "no_helm",
)  # fmt: skip


def bootstrap(
    ctx: typer.Context,
    contexts: list[str] = opt.Contexts,
    cluster: Optional[str] = opt.Cluster,
    fleet: Optional[str] = opt.Fleet,
    federated: Optional[bool] = opt.Federated,
    override_shape: bool = opt.OverrideShape,
    alias: Optional[str] = opt.Alias,
    workspace_id: Optional[str] = opt.WorkspaceId,
    workspace_role_arn: Optional[str] = opt.WorkspaceRole,
    bucket: Optional[str] = opt.Bucket,
    kms_key: Optional[str] = opt.KmsKey,
    namespace: Optional[str] = opt.Namespace,
    release: Optional[str] = opt.Release,
    chart: Optional[str] = opt.Chart,
    chart_repo: Optional[str] = opt.ChartRepo,
    chart_version: Optional[str] = opt.Version,
    extra_values: list[str] = opt.Values,
    set_values: list[str] = opt.Set,
    timeout: Optional[str] = opt.Timeout,
    no_rules: bool = opt.NoRules,
    seed_recording_rules: bool = opt.SeedRules,
    create_oidc_provider: bool = opt.CreateOidc,
    seed_policies: bool = opt.SeedPolicies,
    identity: Optional[str] = opt.Identity,
    install_pod_identity_agent: bool = opt.InstallAgent,
    storage_class: Optional[str] = opt.StorageClass,
    install_ebs_csi_driver: bool = opt.InstallEbsCsi,
    create_storage_class: bool = opt.CreateStorageClass,
    product_key_file: Optional[Path] = opt.ProductKey,
    prom_cluster_id_label: Optional[str] = opt.PromLabel,
    values_dir: Optional[str] = opt.ValuesDir,
    helm: Optional[str] = opt.Helm,
    yes: bool = opt.Yes,
    dry_run: bool = opt.DryRun,
    no_helm: bool = opt.NoHelm,
    wait_lock: Optional[str] = opt.WaitLock,
) -> None:
    """Set up the primary cluster: AMP workspace, recording rules, \\[bucket], IAM, service accounts, values, Helm.

    Records the fleet's shape (mode, bucket, chart version, namespace, release) on the workspace.
    """
    from ampctl.provision.command import ProvisionOrder, run

    given = opt.given(ctx.params, *SETTINGS)
    given["recording_rules"] = not no_rules
    order = ProvisionOrder(opt.selection(ctx.params), True, given, yes=yes, dry_run=dry_run, wait_lock=wait_lock)
    run(order)
