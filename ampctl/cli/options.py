"""Every option of the commands, declared once. Defaults live in the requests below (ProvisionRequest,
DoctorOptions): an option left out is None here, so the fleet file and the fleet's recorded shape can fill it."""

from __future__ import annotations

from enum import Enum
from typing import Any

import typer

from ampctl.spec import DEFAULT_ALIAS, DEFAULT_CHART, DEFAULT_NAMESPACE, DEFAULT_RELEASE, DEFAULT_TIMEOUT
from ampctl.versions import DEFAULT_VERSION


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


def _opt(*names: str, help: str, default: Any = None, **kw: Any) -> Any:  # noqa: A002 - click's own word
    return typer.Option(default, *names, help=help, **kw)


# Targets: the same words on every command (see ampctl/selection.py).
Contexts = _opt("--context", default=[], help="kubeconfig context (repeatable; default: ./ampctl.yaml, else current).")
Cluster = _opt("--cluster", help="EKS cluster name, when the context is not an EKS context ARN.")
Fleet = _opt("--fleet", "-F", help="Fleet file (default: ./ampctl.yaml when present and no --context/--all).")
Only = _opt("--only", default=[], help="With a fleet file: only this cluster (repeatable).")
AllClusters = _opt("--all", default=False, help="Every cluster ampctl manages (found by its IAM tags).")
Parallel = _opt("--parallel", default=4, min=1, max=64, help="Clusters handled at once.")

# What to install and where (None: the fleet file, the fleet's shape, else the default shown).
Federated = _opt(
    "--federated/--no-federated",
    help="Federated ETL (S3 bucket, object-store Secret). add-cluster follows the fleet's recorded mode.",
    show_default=False,
)
OverrideShape = _opt(
    "--override-fleet-shape",
    default=False,
    help="Go against the fleet's recorded shape on purpose: bootstrap re-records it, add-cluster installs this "
    "cluster differently (doctor flags it).",
)
Alias = _opt("--alias", help="AMP workspace alias to find or create.", show_default=DEFAULT_ALIAS)
WorkspaceId = _opt("--workspace-id", help="Use this AMP workspace instead of the alias.")
WorkspaceRole = _opt(
    "--workspace-account-role",
    help="The AMP workspace is in another account: the IAM role ARN ampctl assumes there (README: 'A workspace "
    "in another account').",
)
Bucket = _opt("--bucket", help="S3 bucket for federated ETL (default: the fleet's, else per account and region).")
KmsKey = _opt(
    "--kms-key",
    help="KMS key ARN for the bucket's default encryption (default SSE-S3); Kubecost's roles get kms:GenerateDataKey "
    "and kms:Decrypt on it. A fleet follows the key its bucket names.",
    metavar="KEY_ARN",
)
Namespace = _opt(
    "--namespace", "-n", help="Namespace for Kubecost.", show_default=f"the fleet's, else {DEFAULT_NAMESPACE}"
)
Release = _opt("--release", help="Helm release name.", show_default=f"the fleet's, else {DEFAULT_RELEASE}")
Chart = _opt("--chart", help="Chart reference.", show_default=DEFAULT_CHART)
ChartRepo = _opt("--chart-repo", envvar="AMPCTL_CHART_REPO", help="Chart repository URL (chart cost-analyzer from it).")
Version = _opt("--kubecost-version", help="Chart version.", show_default=f"the fleet's, else {DEFAULT_VERSION}")
Values = _opt("--values", "-f", default=[], help="Helm values file, applied after ampctl's (repeatable), as in helm.")
Set = _opt("--set", default=[], help="Extra helm --set, applied last (repeatable).")
Timeout = _opt("--timeout", help="helm --timeout.", show_default=DEFAULT_TIMEOUT)
Yes = _opt("--yes", "-y", default=False, help="Apply without asking.")
WaitLock = _opt(
    "--wait-lock",
    metavar="DURATION",
    help="Wait up to DURATION (e.g. 5m) for another ampctl run on the same cluster to finish, instead of refusing.",
)
NoHelm = _opt(
    "--no-helm",
    default=False,
    help="Everything but the helm release (AWS side, namespace, ServiceAccounts, Secrets, associations): Argo CD or "
    "Flux installs it from `ampctl render --gitops`. Records the fleet as GitOps-managed.",
)
DryRun = _opt("--dry-run", default=False, help="Show the plan and stop.")
NoRules = _opt("--no-recording-rules", default=False, help="Do not upload recording rules.")
SeedRules = _opt("--seed-recording-rules", default=False, help="Upload the guide's rules verbatim (old labels).")
CreateOidc = _opt("--create-oidc-provider", default=False, help="Create the cluster's IAM OIDC provider if missing.")
SeedPolicies = _opt(
    "--seed-policies",
    default=False,
    help="Attach both AMP policies to both roles, as the guide does (not least privilege).",
)
Identity = _opt(
    "--identity",
    help="How Kubecost's pods get AWS credentials: irsa or pod-identity (EKS Pod Identity, chart 2.2.0+).",
    show_default="the fleet's, else irsa",
    metavar="irsa|pod-identity",
)
InstallAgent = _opt(
    "--install-pod-identity-agent",
    default=False,
    help="With --identity pod-identity: install the eks-pod-identity-agent add-on when it is missing.",
)
StorageClass = _opt(
    "--storage-class",
    help="The StorageClass of every volume Kubecost claims (set on each key of the chart line).",
    show_default="the cluster's default class",
)
InstallEbsCsi = _opt(
    "--install-ebs-csi-driver",
    default=False,
    help="Install the aws-ebs-csi-driver add-on with its IAM role (and a default StorageClass when none exists).",
)
CreateStorageClass = _opt(
    "--create-storage-class",
    default=False,
    help="On EKS Auto Mode: create StorageClass kubecost-auto-ebs (ebs.csi.eks.amazonaws.com) for Kubecost's volumes.",
)
ProductKey = _opt("--product-key-file", help="Kubecost 2.x product key (file), for federated ETL.")
PromLabel = _opt("--prom-cluster-id-label", help="kubecostModel.promClusterIDLabel.")
ValuesDir = _opt("--values-dir", help="Where the rendered values files are written.", show_default=".ampctl/<cluster>")
Helm = _opt("--helm", envvar="AMPCTL_HELM", help="helm executable.", show_envvar=False)


def selection(params: dict[str, Any]) -> Any:
    """The target options of a command, with the global ones (--region, --profile, --kubeconfig)."""
    from ampctl.cli.globals import GLOBALS
    from ampctl.selection import Selection

    return Selection(
        contexts=tuple(params.get("contexts") or ()), cluster=params.get("cluster"),
        region=GLOBALS.region, fleet_file=params.get("fleet"), all_clusters=bool(params.get("all_clusters")),
        only=tuple(params.get("only") or ()), kubeconfig=GLOBALS.kubeconfig, profile=GLOBALS.profile,
    )  # fmt: skip


def given(params: dict[str, Any], *names: str) -> dict[str, Any]:
    """The named settings the user gave (None: left out)."""
    found = {n: params.get(n) for n in names}
    for name in ("extra_values", "set_values"):
        if name in found:
            found[name] = tuple(found[name] or ()) or None
    return {k: v for k, v in found.items() if v is not None}
