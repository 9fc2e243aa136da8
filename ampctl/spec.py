"""What the user asked for, per cluster: plain frozen data that every other layer reads."""

from __future__ import annotations

from dataclasses import dataclass

from ampctl.lines.base import OBJECT_STORE_SECRET as OBJECT_STORE_SECRET
from ampctl.lines.base import Line
from ampctl.lines.costanalyzer import SA_COST_ANALYZER as SA_COST_ANALYZER
from ampctl.lines.costanalyzer import SA_PROMETHEUS as SA_PROMETHEUS
from ampctl.versions import DEFAULT_VERSION, IRSA, POD_IDENTITY, chart_line

PRODUCT_KEY_SECRET = "kubecost-product-key"
DEFAULT_CHART = "oci://public.ecr.aws/kubecost/cost-analyzer"
DEFAULT_ALIAS = "kubecost-amp"
DEFAULT_NAMESPACE = "kubecost"
DEFAULT_RELEASE = "kubecost"
DEFAULT_TIMEOUT = "10m"
DEFAULT_VALUES_DIR = ".ampctl"


@dataclass(frozen=True)
class ClusterSpec:
    """One EKS cluster's Kubecost install against one AMP workspace."""

    cluster: str  # EKS cluster name; also the cluster_id label and kubecostProductConfigs.clusterName
    region: str  # the region of the AMP workspace (and of the bucket in federated mode)
    account: str
    oidc_issuer: str  # "https://oidc.eks.<region>.amazonaws.com/id/XXXX"
    workspace_id: str
    namespace: str = DEFAULT_NAMESPACE
    release: str = DEFAULT_RELEASE
    primary: bool = True
    federated: bool = False
    bucket: str | None = None
    kms_key: str | None = None  # the bucket's customer managed KMS key (its key ARN), when SSE-KMS
    chart_version: str = DEFAULT_VERSION
    product_key_secret: str | None = None  # 2.x federated only
    prom_cluster_id_label: str | None = None
    seed_recording_rules: bool = False  # the AWS guide's rule form (container_name/pod_name labels)
    # The AMP workspace's account when it is not the cluster's: Kubecost's pods then assume per-cluster roles there.
    workspace_account: str | None = None
    identity: str = IRSA  # how the pods get AWS credentials: "irsa" or "pod-identity" (EKS Pod Identity)
    storage_class: str | None = None  # the StorageClass of every claim of the release (None: the cluster's default)

    @property
    def pod_identity(self) -> bool:
        return self.identity == POD_IDENTITY

    @property
    def line(self) -> Line:
        """The chart line of chart_version; raises AmpctlError when the version is unsupported."""
        return chart_line(self.chart_version)
