"""`ampctl render`: every artifact for one cluster, written to a directory, changing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ampctl import output
from ampctl.cli import options as o

SETTINGS = (
    "federated", "alias", "workspace_id", "bucket", "namespace", "release", "chart", "chart_version",
    "extra_values", "set_values", "timeout", "seed_recording_rules", "product_key_file", "prom_cluster_id_label",
)  # fmt: skip


def render(
    ctx: typer.Context,
    out_dir: Path = typer.Option(..., "--out-dir", help="Directory to write the files to."),
    contexts: list[str] = o.Contexts,
    cluster: Optional[str] = o.Cluster,
    fleet: Optional[str] = o.Fleet,
    account: Optional[str] = typer.Option(None, "--account", help="AWS account id (else from STS)."),
    oidc_issuer: Optional[str] = typer.Option(None, "--oidc-issuer", help="Cluster OIDC issuer URL (else from EKS)."),
    agent: bool = typer.Option(False, "--agent", help="Render for an additional (non-primary) cluster."),
    federated: Optional[bool] = o.Federated,
    alias: Optional[str] = o.Alias,
    workspace_id: Optional[str] = o.WorkspaceId,
    bucket: Optional[str] = o.Bucket,
    namespace: Optional[str] = o.Namespace,
    release: Optional[str] = o.Release,
    chart: Optional[str] = o.Chart,
    chart_version: Optional[str] = o.Version,
    extra_values: list[str] = o.Values,
    set_values: list[str] = o.Set,
    timeout: Optional[str] = o.Timeout,
    seed_recording_rules: bool = o.SeedRules,
    product_key_file: Optional[Path] = o.ProductKey,
    prom_cluster_id_label: Optional[str] = o.PromLabel,
) -> None:
    """Write values files (in helm's order), Secret manifests (0600), IAM documents and the helm command.

    Fully offline with --workspace-id, --account and --oidc-issuer (plus --cluster/--region or an
    EKS context); otherwise the missing facts are looked up with read-only AWS calls.
    """
    from ampctl.provision.offline import RenderOrder
    from ampctl.provision.offline import render as run

    given = o.given(ctx.params, *SETTINGS)
    order = RenderOrder(o.selection(ctx.params), out_dir, agent, given, account, oidc_issuer)
    written = run(order)
    if output.is_json():
        output.emit_json(written)
        return
    for item in written["files"]:
        output.out().print(item["path"])
    output.info(f"wrote {len(written['files'])} files; apply with {written['helm_command']}")
