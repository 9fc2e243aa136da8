"""The one table of which chart keys hold each fact of the install contract, per chart line (1.x, 2.x, 2.9),
and the values that follow from it for one cluster. Rendering, doctor and the real-chart tests all read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ampctl.spec import OBJECT_STORE_SECRET, SA_COST_ANALYZER, SA_PROMETHEUS, ClusterSpec
from ampctl.versions import parse_version

# Under EKS Pod Identity the sigv4 proxy must be an image whose AWS SDK has the Pod Identity credential provider:
# aws-sigv4-proxy 1.9 and later (its vendored aws-sdk-go v1.54.19 reads AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE in
# aws/defaults/defaults.go; v1.8 vendors v1.44.233, which does not). The chart's default tag `latest` is unpinned,
# so ampctl pins the newest release checked, 1.11.1 (2026-02-11), above that floor.
SIGV4_PROXY_IMAGE_KEY = "sigV4Proxy.image"
SIGV4_PROXY_POD_IDENTITY_IMAGE = "public.ecr.aws/aws-observability/aws-sigv4-proxy:1.11.1"
PROXY_POD_IDENTITY_FROM = (1, 9)
CLUSTER = "<cluster>"  # placeholder in the table for the cluster's own id
Role = str  # "primary" | "agent"


@dataclass(frozen=True)
class LineKeys:
    """Where one chart line keeps each contract fact."""

    name: str
    cluster_id_keys: tuple[str, ...]  # every key that must hold the cluster id
    object_store_key: str  # names the object-store Secret (its key is federated-store.yaml)
    forbidden_keys: tuple[str, ...]  # keys the chart fails on (or ignores wrongly) when set
    federation: dict[Role, dict[str, Any]]  # federated mode, per role
    aws_sdk_auth: bool  # the object store config asks for the AWS SDK (IRSA) credentials
    finops_agent_sa_key: str | None = None  # the subchart's ServiceAccount, when the line has one
    # Federated mode: names for cost-analyzer's objects that a subchart renders under the chart's default.
    federated_names: dict[str, str] = field(default_factory=dict)
    # The chart's switch that skips its lookup-based sanity checks, for engines that render with `helm template`
    # and no cluster access (Argo CD): empty where the line has none or needs none.
    gitops_template_values: dict[str, Any] = field(default_factory=dict)
    service_accounts: dict[str, str] = field(
        default_factory=lambda: {
            "serviceAccount.name": SA_COST_ANALYZER,
            "prometheus.serviceAccounts.server.name": SA_PROMETHEUS,
        }
    )


EXTERNAL_LABEL = "prometheus.server.global.external_labels.cluster_id"
# A workspace in another account: the role the sigv4 proxy assumes (it adds --role-arn) and the one Prometheus's
# remote write assumes (the chart copies global.amp.sigv4 into remote_write[].sigv4). Every supported line has both.
QUERY_ROLE_KEY = "sigV4Proxy.role_arn"
WRITE_ROLE_KEY = "global.amp.sigv4.role_arn"
CLUSTER_NAME = "kubecostProductConfigs.clusterName"
_FEDERATED_2X: dict[Role, dict[str, Any]] = {
    "primary": {"kubecostAggregator.deployMethod": "statefulset", "federatedETL.federatedCluster": True},
    "agent": {
        "kubecostAggregator.deployMethod": "disabled",
        "federatedETL.federatedCluster": True,
        "federatedETL.agentOnly": True,
    },
}

# cost-analyzer 2.x templates/_helpers.tpl, `federatedStorageConfigSecretCheck` and `cloudIntegrationSecretCheck`
# (included from NOTES.txt): when the cluster advertises v1/Secret they `lookup` the Secret and `fail` when it is
# missing, "Skip the check if CI/CD is enabled and skipSanityChecks is set. Argo CD, for example, does not support
# templating a chart which uses the lookup function." Argo CD passes the destination's API versions with their kinds
# (`--api-versions v1/Secret`; argo-cd util/argo/argo.go APIResourcesToStrings), so under Argo CD the check fails on
# every federated 2.x cluster (measured with helm template on 2.8.7). 1.x has no such check (its NOTES.txt lookups
# only print warnings) and no global.platforms key.
_CICD = {"global.platforms.cicd.enabled": True, "global.platforms.cicd.skipSanityChecks": True}

LINES: dict[str, LineKeys] = {
    "1.x": LineKeys(
        name="1.x",
        cluster_id_keys=(CLUSTER_NAME, EXTERNAL_LABEL),
        object_store_key="kubecostModel.federatedStorageConfigSecret",
        forbidden_keys=("federatedETL.useExistingS3Config",),
        federation={
            "primary": {
                "federatedETL.primaryCluster": True,
                "federatedETL.federatedCluster": True,
                "federatedETL.federator.enabled": True,
                "federatedETL.federator.primaryClusterID": CLUSTER,
            },
            "agent": {"federatedETL.primaryCluster": False, "federatedETL.federatedCluster": True},
        },
        aws_sdk_auth=False,
    ),
    "2.x": LineKeys(
        name="2.x",
        cluster_id_keys=(CLUSTER_NAME, EXTERNAL_LABEL),
        object_store_key="kubecostModel.federatedStorageConfigSecret",
        forbidden_keys=("federatedETL.useExistingS3Config",),
        federation=_FEDERATED_2X,
        aws_sdk_auth=True,
        gitops_template_values=_CICD,
    ),
    "2.9": LineKeys(
        name="2.9",
        cluster_id_keys=(CLUSTER_NAME, EXTERNAL_LABEL, "global.clusterId"),
        object_store_key="global.federatedStorage.existingSecret",
        forbidden_keys=("federatedETL.useExistingS3Config", "kubecostModel.federatedStorageConfigSecret"),
        federation=_FEDERATED_2X,
        aws_sdk_auth=True,
        # The finops-agent subchart reads and writes the bucket too; it runs as the cost-analyzer's
        # ServiceAccount (the chart's documented way to give it that account's IAM role).
        finops_agent_sa_key="finopsagent.serviceAccount.name",
        # With federated storage on, the finops-agent renders ConfigMap pricing-configs, cost-analyzer's default
        # name for its own: a fresh install fails (`configmaps "pricing-configs" already exists`). Renamed,
        # cost-model is told the name (PRICING_CONFIGMAP_NAME).
        federated_names={"pricingConfigmapName": "kubecost-pricing-configs"},
        gitops_template_values=_CICD,
    ),
    # The `kubecost` chart: its values come from ampctl.kubecost3.line; the entry says where the contract facts are
    # (doctor and the object-store Secret read it). The federated-store.yaml format is 2.x's ("the same S3 objstore
    # format", examples/federatedStorage at v3.2.1; assumption: aws_sdk_auth is still read, and the SDK's default
    # chain that it selects covers IRSA and Pod Identity alike).
    "3.x": LineKeys(
        name="3.x",
        cluster_id_keys=("global.clusterId",),
        object_store_key="global.federatedStorage.existingSecret",
        forbidden_keys=("kubecostProductConfigs.clusterName", "prometheus", "global.amp", "sigV4Proxy"),
        federation={"primary": {}, "agent": {}},
        aws_sdk_auth=True,
        service_accounts={},
    ),
}


def line_keys(version: str) -> LineKeys:
    major, minor, _ = parse_version(version)
    if major >= 3:
        return LINES["3.x"]
    if major == 1:
        return LINES["1.x"]
    return LINES["2.9"] if minor >= 9 else LINES["2.x"]


def object_store_secret(values: dict[str, Any]) -> str | None:
    """The object-store Secret an installed release's values name, on any line (None: quick-start)."""
    for key in dict.fromkeys(line.object_store_key for line in reversed(LINES.values())):
        node: Any = values
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node:
            return str(node)
    return None


def cluster_filter_key(version: str) -> str | None:
    """The key that renders CURRENT_CLUSTER_ID_FILTER_ENABLED on this version, or None when none does."""
    parsed = parse_version(version)
    if (1, 104, 1) <= parsed <= (1, 104, 5):
        return "federatedETL.federator.useMultiClusterDB"
    if parsed >= (1, 106, 1):
        return "federatedETL.useMultiClusterDB"
    return None


def wants_cluster_filter(version: str, primary: bool, federated: bool) -> bool:
    """Every cluster computes only its own cluster_id, except a 1.x quick-start primary (it shows the fleet)."""
    return not (primary and not federated and parse_version(version)[0] == 1)


def needs_upgrade_ack(spec: ClusterSpec) -> bool:
    """2.0.0–2.0.2 fail on AMP even with federated storage unless upgrade.toV2 is set: correct only there."""
    return spec.federated and (2, 0, 0) <= parse_version(spec.chart_version) <= (2, 0, 2)


def _role(spec: ClusterSpec) -> Role:
    return "primary" if spec.primary else "agent"


def identity_values(spec: ClusterSpec) -> dict[str, Any]:
    """Flat key -> value for who the cluster is and which identities its pods use (every mode)."""
    keys = line_keys(spec.chart_version)
    flat: dict[str, Any] = dict.fromkeys(keys.cluster_id_keys, spec.cluster)
    flat["kubecostProductConfigs.projectID"] = spec.account
    if spec.product_key_secret:
        flat["kubecostProductConfigs.productKey.enabled"] = True
        flat["kubecostProductConfigs.productKey.secretname"] = spec.product_key_secret
    flat["serviceAccount.create"] = False
    flat["prometheus.serviceAccounts.server.create"] = False
    flat.update(keys.service_accounts)
    if keys.finops_agent_sa_key:
        flat["finopsagent.serviceAccount.create"] = False
        flat[keys.finops_agent_sa_key] = SA_COST_ANALYZER
    filter_key = cluster_filter_key(spec.chart_version)
    if filter_key and wants_cluster_filter(spec.chart_version, spec.primary, spec.federated):
        flat[filter_key] = True
    if spec.prom_cluster_id_label:
        flat["kubecostModel.promClusterIDLabel"] = spec.prom_cluster_id_label
    flat.update(workspace_role_values(spec))
    if spec.pod_identity:
        flat[SIGV4_PROXY_IMAGE_KEY] = SIGV4_PROXY_POD_IDENTITY_IMAGE
    return flat


def workspace_role_values(spec: ClusterSpec) -> dict[str, str]:
    """With the workspace in another account: the roles there that Kubecost's pods assume (else nothing)."""
    if not spec.workspace_account:
        return {}
    from ampctl.naming import role_arn, workspace_role_name

    def arn(component: str) -> str:
        return role_arn(spec.workspace_account or "", workspace_role_name(spec.cluster, component), region=spec.region)

    return {QUERY_ROLE_KEY: arn("cost-analyzer"), WRITE_ROLE_KEY: arn("prometheus-server")}


def federation_values(spec: ClusterSpec) -> dict[str, Any]:
    """Flat key -> value for federated ETL on this cluster's role (empty in quick-start)."""
    if not spec.federated:
        return {}
    keys = line_keys(spec.chart_version)
    flat = {k: (spec.cluster if v == CLUSTER else v) for k, v in keys.federation[_role(spec)].items()}
    flat[keys.object_store_key] = OBJECT_STORE_SECRET
    flat.update(keys.federated_names)
    if needs_upgrade_ack(spec):
        flat["upgrade.toV2"] = True
    return flat


def nest(flat: dict[str, Any], into: dict[str, Any] | None = None) -> dict[str, Any]:
    """Dotted keys to nested maps (later keys win), optionally merged into an existing tree."""
    tree: dict[str, Any] = into if into is not None else {}
    for dotted, value in flat.items():
        node = tree
        *parents, leaf = dotted.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[leaf] = value
    return tree
