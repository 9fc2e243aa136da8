"""`ampctl doctor`: read-only checks of Kubecost on AMP, per cluster, with a diagnosis."""

from __future__ import annotations

from typing import Optional

import typer

from ampctl.cli import provision_opts as o
from ampctl.cli.options import OutputFormat, OutputOpt, apply_output


def doctor(
    contexts: list[str] = o.Contexts,
    all_clusters: bool = o.AllClusters,
    kubeconfig: Optional[str] = o.Kubeconfig,  # noqa: UP045
    cluster: Optional[str] = o.Cluster,  # noqa: UP045
    region: Optional[str] = o.Region,  # noqa: UP045
    profile: Optional[str] = o.Profile,  # noqa: UP045
    namespace: str = o.Namespace,
    release: str = o.Release,
    alias: str = o.Alias,
    workspace_id: Optional[str] = o.WorkspaceId,  # noqa: UP045
    bucket: Optional[str] = typer.Option(  # noqa: UP045
        None, "--bucket", help="Expected ETL bucket (default: from ampctl's policy)."
    ),
    wait: str = typer.Option("0", "--wait", help="Poll the PromQL checks until data arrives, up to e.g. 90s, 15m."),
    max_sample_age: str = typer.Option("3m", "--max-sample-age", help="Newer samples count as fresh data."),
    log_window: str = typer.Option("15m", "--log-window", help="Log lines older than this are ignored."),
    helm: Optional[str] = o.Helm,  # noqa: UP045
    parallel: int = typer.Option(64, "--parallel", min=1, max=64, help="Clusters checked at once."),
    output_format: Optional[OutputFormat] = OutputOpt,  # noqa: UP045
) -> None:
    """Check IRSA, values, workloads, logs, federated ETL and both PromQL paths; exit 2 when a check fails."""
    from ampctl.doctor.command import doctor as run
    from ampctl.doctor.options import DoctorOptions, parse_duration

    apply_output(output_format)
    options = DoctorOptions(
        namespace=namespace, release=release, alias=alias, workspace_id=workspace_id, bucket=bucket, helm=helm,
        wait=parse_duration(wait, "--wait"), max_sample_age=parse_duration(max_sample_age, "--max-sample-age"),
        log_window=parse_duration(log_window, "--log-window"),
    )  # fmt: skip
    code = run(
        contexts, all_clusters=all_clusters, kubeconfig=kubeconfig, cluster=cluster, region=region,
        profile=profile, parallel=parallel, options=options,
    )  # fmt: skip
    raise typer.Exit(code)
