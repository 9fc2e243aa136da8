"""`ampctl render`: every artifact for one cluster, written to a directory, changing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ampctl import output
from ampctl.cli import options as opt

SETTINGS = (
    "federated", "alias", "workspace_id",
    "workspace_role_arn", "bucket", "kms_key", "namespace", "release", "chart", "chart_repo", "chart_version",
    "extra_values", "set_values", "timeout", "seed_recording_rules", "product_key_file", "prom_cluster_id_label",
    "identity", "storage_class",
)  # fmt: skip


def render(
    ctx: typer.Context,
    out_dir: Path = typer.Option(..., "--out-dir", help="Directory to write the files to."),
    contexts: list[str] = opt.Contexts,
    cluster: Optional[str] = opt.Cluster,
    fleet: Optional[str] = opt.Fleet,
    only: list[str] = opt.Only,
    account: Optional[str] = typer.Option(None, "--account", help="AWS account id (else from STS)."),
    oidc_issuer: Optional[str] = typer.Option(None, "--oidc-issuer", help="Cluster OIDC issuer URL (else from EKS)."),
    agent: bool = typer.Option(False, "--agent", help="Render for an additional (non-primary) cluster."),
    federated: Optional[bool] = opt.Federated,
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
    seed_recording_rules: bool = opt.SeedRules,
    identity: Optional[str] = opt.Identity,
    storage_class: Optional[str] = opt.StorageClass,
    product_key_file: Optional[Path] = opt.ProductKey,
    prom_cluster_id_label: Optional[str] = opt.PromLabel,
    gitops: Optional[str] = typer.Option(
        None,
        "--gitops",
        metavar="argocd|flux",
        help="Write a directory to commit for Argo CD or Flux: one values file per cluster of the fleet and the "
        "engine's manifests (README: 'GitOps').",
    ),
    git_repo: Optional[str] = typer.Option(None, "--git-repo", help="--gitops argocd: the Git repository URL."),
    git_revision: str = typer.Option("HEAD", "--git-revision", help="--gitops argocd: the branch, tag or commit."),
    git_path: Optional[str] = typer.Option(
        None,
        "--git-path",
        help="--gitops argocd: the output directory inside the repository.",
        show_default="the directory's name",
    ),
) -> None:
    """Write values files (in helm's order), Secret manifests (0600), IAM documents and the helm command.

    Fully offline with --workspace-id, --account and --oidc-issuer (plus --cluster/--region or an
    EKS context); otherwise the missing facts are looked up with read-only AWS calls.
    """
    given = opt.given(ctx.params, *SETTINGS)
    if gitops is not None:
        _gitops(ctx, out_dir, gitops, given, account, git_repo, git_revision, git_path, agent)
        return
    from ampctl.provision.offline import RenderOrder
    from ampctl.provision.offline import render as run

    order = RenderOrder(opt.selection(ctx.params), out_dir, agent, given, account, oidc_issuer)
    written = run(order)
    if output.is_json():
        output.emit_json(written)
        return
    for item in written["files"]:
        output.out().print(item["path"])
    for a in written["pod_identity_associations"]:
        output.info(f"pod identity association to create (bootstrap/add-cluster or Terraform): cluster "
                    f"{a['clusterName']}, {a['namespace']}/{a['serviceAccount']} -> {a['roleArn']}")  # fmt: skip
    output.info(f"wrote {len(written['files'])} files; apply with {written['helm_command']}")


def _gitops(
    ctx: typer.Context, out_dir: Path, engine: str, given: dict[str, object], account: Optional[str],
    git_repo: Optional[str], git_revision: str, git_path: Optional[str], agent: bool,
) -> None:  # fmt: skip
    from ampctl.gitops.command import GitopsOrder, render_gitops

    order = GitopsOrder(
        opt.selection(ctx.params), out_dir, engine, given, account, git_repo, git_revision, git_path, agent
    )
    written = render_gitops(order)
    if output.is_json():
        output.emit_json(written)
        return
    for item in written["files"]:
        output.out().print(item["path"])
    output.info(
        f"wrote {len(written['files'])} files for {len(written['clusters'])} cluster(s); "
        f"commit {out_dir} and follow {written['readme']}"
    )
