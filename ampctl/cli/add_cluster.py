"""`ampctl add-cluster`: additional clusters, following the fleet's recorded shape."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ampctl.cli import options as o

SETTINGS = (
    "federated", "alias", "workspace_id", "bucket", "namespace", "release", "chart", "chart_repo", "chart_version",
    "extra_values", "set_values", "timeout", "seed_policies", "product_key_file", "prom_cluster_id_label",
    "values_dir", "helm", "override_shape",
)  # fmt: skip


def add_cluster(
    ctx: typer.Context,
    contexts: list[str] = o.Contexts,
    cluster: Optional[str] = o.Cluster,
    fleet: Optional[str] = o.Fleet,
    only: list[str] = o.Only,
    federated: Optional[bool] = o.Federated,
    override_shape: bool = o.OverrideShape,
    alias: Optional[str] = o.Alias,
    workspace_id: Optional[str] = o.WorkspaceId,
    bucket: Optional[str] = o.Bucket,
    namespace: Optional[str] = o.Namespace,
    release: Optional[str] = o.Release,
    chart: Optional[str] = o.Chart,
    chart_repo: Optional[str] = o.ChartRepo,
    chart_version: Optional[str] = o.Version,
    extra_values: list[str] = o.Values,
    set_values: list[str] = o.Set,
    timeout: Optional[str] = o.Timeout,
    seed_policies: bool = o.SeedPolicies,
    product_key_file: Optional[Path] = o.ProductKey,
    prom_cluster_id_label: Optional[str] = o.PromLabel,
    values_dir: Optional[str] = o.ValuesDir,
    helm: Optional[str] = o.Helm,
    parallel: int = o.Parallel,
    yes: bool = o.Yes,
    dry_run: bool = o.DryRun,
) -> None:
    """Add clusters to the fleet (in parallel): IAM, service accounts, \\[Secret], values and Helm.

    The mode, bucket, chart version, namespace and release follow the fleet's shape recorded by bootstrap.
    """
    from ampctl.provision.command import ProvisionOrder, run

    given = o.given(ctx.params, *SETTINGS)
    given["recording_rules"] = False
    order = ProvisionOrder(o.selection(ctx.params), False, given, yes=yes, dry_run=dry_run, parallel=parallel)
    run(order)
