"""Options shared by bootstrap, add-cluster and render, and the request they build."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from ampctl.provision.request import ProvisionRequest

if TYPE_CHECKING:
    from ampctl.fleet import Fleet

Context = typer.Option(None, "--context", help="kubeconfig context (default: the current one).")
Contexts = typer.Option([], "--context", help="kubeconfig context (repeatable; default: current).")
AllClusters = typer.Option(False, "--all", help="Every cluster ampctl manages (found by its IAM tags).")
FleetFile = typer.Option(None, "--file", "-f", help="Fleet file (ampctl.yaml): its clusters.")
Kubeconfig = typer.Option(None, "--kubeconfig", envvar="KUBECONFIG", help="kubeconfig file.", show_envvar=False)
Cluster = typer.Option(None, "--cluster", help="EKS cluster name, when the context is not an EKS ARN.")
Region = typer.Option(None, "--region", help="AWS region, when the context is not an EKS ARN.")
Profile = typer.Option(None, "--profile", envvar="AWS_PROFILE", help="AWS profile.", show_envvar=False)
Namespace = typer.Option("kubecost", "--namespace", "-n", help="Namespace for Kubecost.")
Release = typer.Option("kubecost", "--release", help="Helm release name.")
Federated = typer.Option(False, "--federated", help="Federated ETL: S3 bucket and object-store Secret.")
Alias = typer.Option("kubecost-amp", "--alias", help="AMP workspace alias to find or create.")
WorkspaceId = typer.Option(None, "--workspace-id", help="Use this AMP workspace instead of the alias.")
Bucket = typer.Option(None, "--bucket", help="S3 bucket for federated ETL (default: per account and region).")
KmsKey = typer.Option(None, "--kms-key", help="KMS key for the bucket's default encryption (default SSE-S3).")
Chart = typer.Option("oci://public.ecr.aws/kubecost/cost-analyzer", "--chart", help="Chart reference.")
ChartRepo = typer.Option(
    None, "--chart-repo", envvar="AMPCTL_CHART_REPO", help="Chart repository URL (chart cost-analyzer from it)."
)
Version = typer.Option(None, "--kubecost-version", help="Chart version (default: the newest supported 2.x).")
Values = typer.Option(
    [], "--values", "-f", help="Extra values file, applied after ampctl's (repeatable); or a fleet file (kind: Fleet)."
)
Set = typer.Option([], "--set", help="Extra helm --set, applied last (repeatable).")
Timeout = typer.Option("10m", "--timeout", help="helm --timeout.")
Yes = typer.Option(False, "--yes", "-y", help="Apply without asking.")
DryRun = typer.Option(False, "--dry-run", help="Show the plan and stop.")
NoRules = typer.Option(False, "--no-recording-rules", help="Do not upload recording rules.")
SeedRules = typer.Option(False, "--seed-recording-rules", help="Upload the guide's rules verbatim (old labels).")
CreateOidc = typer.Option(False, "--create-oidc-provider", help="Create the cluster's IAM OIDC provider if missing.")
SeedPolicies = typer.Option(
    False, "--seed-policies", help="Attach both AMP policies to both roles, as the guide does (not least privilege)."
)
ProductKey = typer.Option(None, "--product-key-file", help="Kubecost 2.x product key (file), for federated ETL.")
PromLabel = typer.Option(None, "--prom-cluster-id-label", help="kubecostModel.promClusterIDLabel.")
ValuesDir = typer.Option(".ampctl", "--values-dir", help="Where the rendered values files are written.")
Helm = typer.Option(None, "--helm", envvar="AMPCTL_HELM", help="helm executable.", show_envvar=False)
Parallel = typer.Option(4, "--parallel", min=1, max=64, help="Clusters handled at once.")


def read_product_key(path: Optional[Path]) -> str | None:  # noqa: UP045
    if path is None:
        return None
    import json

    from ampctl.errors import AmpctlError

    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise AmpctlError(f"cannot read --product-key-file {path}: {exc.strerror}", "check the path") from exc
    if text.startswith("{"):
        try:
            text = str(json.loads(text)["key"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AmpctlError(f'{path} is JSON but has no "key"', 'write {"key": "..."} or the bare key') from exc
    if not text:
        raise AmpctlError(f"--product-key-file {path} is empty", "put the product key in the file")
    return text


def build_request(
    *,
    primary: bool,
    federated: bool,
    alias: str,
    workspace_id: str | None,
    bucket: str | None,
    kms_key: str | None,
    namespace: str,
    release: str,
    chart: str,
    chart_repo: str | None,
    version: str | None,
    values: list[str],
    set_values: list[str],
    timeout: str,
    no_rules: bool,
    seed_rules: bool,
    create_oidc: bool,
    seed_policies: bool,
    product_key_file: Path | None,
    prom_label: str | None,
    values_dir: str,
    helm: str | None,
) -> ProvisionRequest:
    """Validate every name and the version before anything touches AWS or Kubernetes."""
    from ampctl import validate
    from ampctl.errors import AmpctlError
    from ampctl.versions import DEFAULT_VERSION, ChartLine, check_mode

    chart_version = version or DEFAULT_VERSION
    line = check_mode(chart_version, federated)
    validate.workspace_alias(alias)
    validate.namespace(namespace)
    validate.release_name(release)
    if bucket:
        validate.bucket_name(bucket)
    product_key = read_product_key(product_key_file)
    if product_key and (line is not ChartLine.AGGREGATOR_2X or not federated):
        raise AmpctlError("--product-key-file applies to 2.x federated installs only", "drop it or add --federated")
    return ProvisionRequest(
        primary=primary,
        federated=federated,
        alias=alias,
        workspace_id=workspace_id,
        bucket=bucket,
        kms_key=kms_key,
        namespace=namespace,
        release=release,
        chart=chart,
        chart_repo=chart_repo,
        chart_version=chart_version,
        recording_rules=not no_rules,
        seed_recording_rules=seed_rules,
        create_oidc_provider=create_oidc,
        seed_policies=seed_policies,
        product_key=product_key,
        prom_cluster_id_label=prom_label,
        extra_values=tuple(values),
        set_values=tuple(set_values),
        timeout=timeout,
        values_dir=values_dir,
        helm=helm,
    )


# command-line parameter -> fleet file key
FLEET_KEYS = {
    "federated": "federated", "alias": "alias", "workspace_id": "workspace_id", "bucket": "bucket",
    "namespace": "namespace", "release": "release", "chart": "chart", "chart_repo": "chart_repo",
    "version": "kubecost_version", "region": "region",
}  # fmt: skip


def split_fleet(values: list[str]) -> tuple[Fleet | None, list[str]]:
    """-f takes Helm values files and at most one fleet file (recognised by `kind: Fleet`)."""
    from ampctl.errors import AmpctlError
    from ampctl.fleet import is_fleet_file, load

    fleets = [v for v in values if is_fleet_file(v)]
    if len(fleets) > 1:
        raise AmpctlError(f"more than one fleet file given with -f: {', '.join(fleets)}", "pass one fleet file")
    rest = [v for v in values if v not in fleets]
    return (load(fleets[0]) if fleets else None), rest


def with_fleet(ctx: typer.Context, fleet: Fleet | None) -> dict[str, Any]:
    """The command's parameters, with the fleet file's settings wherever no flag was given."""
    params = dict(ctx.params)
    if fleet is None:
        return params
    for param, key in FLEET_KEYS.items():
        if param not in params or fleet.get(key) is None:
            continue
        source = ctx.get_parameter_source(param)
        if source is not None and source.name in {"COMMANDLINE", "PROMPT"}:
            continue
        params[param] = fleet.get(key)
    return params
