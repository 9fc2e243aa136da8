"""`ampctl render`: every artifact for one cluster, written to a directory, changing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ampctl import output
from ampctl.cli import provision_opts as o
from ampctl.cli.options import OutputFormat, OutputOpt, apply_output


def render(
    out_dir: Path = typer.Option(..., "--out-dir", help="Directory to write the files to."),
    context: Optional[str] = o.Context,  # noqa: UP045
    kubeconfig: Optional[str] = o.Kubeconfig,  # noqa: UP045
    cluster: Optional[str] = o.Cluster,  # noqa: UP045
    region: Optional[str] = o.Region,  # noqa: UP045
    profile: Optional[str] = o.Profile,  # noqa: UP045
    account: Optional[str] = typer.Option(None, "--account", help="AWS account id (else from STS)."),  # noqa: UP045
    oidc_issuer: Optional[str] = typer.Option(  # noqa: UP045
        None, "--oidc-issuer", help="Cluster OIDC issuer URL (else from EKS)."
    ),
    agent: bool = typer.Option(False, "--agent", help="Render for an additional (non-primary) cluster."),
    federated: bool = o.Federated,
    alias: str = o.Alias,
    workspace_id: Optional[str] = o.WorkspaceId,  # noqa: UP045
    bucket: Optional[str] = o.Bucket,  # noqa: UP045
    namespace: str = o.Namespace,
    release: str = o.Release,
    chart: str = o.Chart,
    version: Optional[str] = o.Version,  # noqa: UP045
    values: list[str] = o.Values,
    set_values: list[str] = o.Set,
    timeout: str = o.Timeout,
    seed_rules: bool = o.SeedRules,
    product_key_file: Optional[Path] = o.ProductKey,  # noqa: UP045
    prom_label: Optional[str] = o.PromLabel,  # noqa: UP045
    output_format: Optional[OutputFormat] = OutputOpt,  # noqa: UP045
) -> None:
    """Write values files (in helm's order), Secret manifests (0600), IAM documents and the helm command.

    Fully offline with --workspace-id, --account and --oidc-issuer (plus --cluster/--region or an
    EKS context); otherwise the missing facts are looked up with read-only AWS calls.
    """
    from ampctl.provision.offline import render_cluster

    apply_output(output_format)
    request = o.build_request(
        primary=not agent, federated=federated, alias=alias, workspace_id=workspace_id, bucket=bucket,
        kms_key=None, namespace=namespace, release=release, chart=chart, chart_repo=None,
        version=version, values=values, set_values=set_values, timeout=timeout, no_rules=False,
        seed_rules=seed_rules, create_oidc=False, seed_policies=False,
        product_key_file=product_key_file, prom_label=prom_label, values_dir=str(out_dir), helm=None,
    )  # fmt: skip
    written = render_cluster(
        request, out_dir, context=context, kubeconfig=kubeconfig, cluster=cluster, region=region,
        profile=profile, account=account, oidc_issuer=oidc_issuer,
    )  # fmt: skip
    if output.is_json():
        output.emit_json(written)
        return
    for item in written["files"]:
        output.out().print(item["path"])
    output.info(f"wrote {len(written['files'])} files; apply with {written['helm_command']}")
