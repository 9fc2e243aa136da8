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
    cluster: Optional[str] = o.Cluster,  # noqa: UP045 - Typer needs Optional on 3.10
    fleet: Optional[str] = o.Fleet,  # noqa: UP045
    only: list[str] = o.Only,
    federated: Optional[bool] = o.Federated,  # noqa: UP045
    override_shape: bool = o.OverrideShape,
    alias: Optional[str] = o.Alias,  # noqa: UP045
    workspace_id: Optional[str] = o.WorkspaceId,  # noqa: UP045
    bucket: Optional[str] = o.Bucket,  # noqa: UP045
    namespace: Optional[str] = o.Namespace,  # noqa: UP045
    release: Optional[str] = o.Release,  # noqa: UP045
    chart: Optional[str] = o.Chart,  # noqa: UP045
    chart_repo: Optional[str] = o.ChartRepo,  # noqa: UP045
    chart_version: Optional[str] = o.Version,  # noqa: UP045
    extra_values: list[str] = o.Values,
    set_values: list[str] = o.Set,
    timeout: Optional[str] = o.Timeout,  # noqa: UP045
    seed_policies: bool = o.SeedPolicies,
    product_key_file: Optional[Path] = o.ProductKey,  # noqa: UP045
    prom_cluster_id_label: Optional[str] = o.PromLabel,  # noqa: UP045
    values_dir: Optional[str] = o.ValuesDir,  # noqa: UP045
    helm: Optional[str] = o.Helm,  # noqa: UP045
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
