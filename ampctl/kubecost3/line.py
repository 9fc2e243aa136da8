"""The 3.x chart line: the `kubecost` chart, its keys, values, refusals, and the components that use the bucket.

Read from the chart at 3.2.1 (../shared/charts/kubecost-3.2.1.tgz; kubecost/kubecost at tag v3.2.1) and checked with
`helm template` (tests/charts/test_kubecost3.py). 3.x has no Prometheus and no AMP: every cluster's finops-agent
writes its data to the S3 bucket (`global.federatedStorage`), and the primary's aggregator reads it all.
"""

from __future__ import annotations

from typing import Any

from ampctl.spec import OBJECT_STORE_SECRET, ClusterSpec

# Chart sources: Kubecost's README at 3.2.1 ("helm install kubecost --repo https://kubecost.github.io/kubecost" and
# oci://public.ecr.aws/kubecost/kubecost); the chart is named `kubecost` (Chart.yaml `name: kubecost`).
CHART = "oci://public.ecr.aws/kubecost/kubecost"
CHART_NAME = "kubecost"

# The ServiceAccounts ampctl creates (each with its own role) and the chart keys that name them (values.yaml 3.2.1):
# `finopsagent.serviceAccount.{create,name}` (finops-agent subchart, "finops-agent.serviceAccountName" helper);
# `serviceAccount.{create,name}`, which the aggregator StatefulSet, cloud-cost and frontend run as
# ("kubecost.serviceAccountName"; "kubecost.aggregator/cloudCost.serviceAccountName" default to it);
# the cluster-controller's account is always `<release>-cluster-controller` ("kubecost.clusterController.name" in
# templates/cluster-controller/_helpers.tpl), only `clusterController.serviceAccount.create` is a key.
SA_FINOPS_AGENT = "kubecost-finopsagent"
SA_AGGREGATOR = "kubecost-aggregator"
FINOPS_AGENT, AGGREGATOR, CLUSTER_CONTROLLER = "finops-agent", "aggregator", "cluster-controller"


def cluster_controller_account(release: str) -> str:
    return f"{release}-cluster-controller"


def service_accounts(spec: ClusterSpec) -> dict[str, str]:
    """component -> ServiceAccount, for exactly the pods that mount the federated-storage Secret and so use the
    bucket (rendered at 3.2.1): the finops-agent, the aggregator and cloud-cost (primary only) and the
    cluster-controller (its actions store is the same bucket config, mounted as actions-store.yaml). The local-store
    mounts it too but runs as the namespace's default account: ampctl disables it (see values)."""
    return accounts(spec.primary, spec.release)


def accounts(primary: bool, release: str) -> dict[str, str]:
    """component -> ServiceAccount of a primary or an agent (see `service_accounts`)."""
    found = {FINOPS_AGENT: SA_FINOPS_AGENT}
    if primary:
        found[AGGREGATOR] = SA_AGGREGATOR
    found[CLUSTER_CONTROLLER] = cluster_controller_account(release)
    return found


# The primary-only components an agent turns off: examples/agentOnly/helmValues-kubecost-aws.yaml at v3.2.1, and
# the chart's own refusal of `federatedETL.agentOnly` ("Please use `.Values.aggregator.enabled=false` instead. You
# may also choose to disable the frontend, cloudcost, and forecasting components", templates/_helpers.tpl).
PRIMARY_ONLY = ("aggregator", "frontend", "cloudCost", "forecasting")

# Top-level keys the chart fails on with "no longer supported" (templates/_helpers.tpl at 3.2.1), and the 2.x
# cluster-id keys it fails on ("kubecost.clusterId.check"). ampctl never renders them for 3.x; doctor names them.
REMOVED_KEYS = (
    "global.amp", "global.prometheus", "global.grafana", "global.gmp", "global.mimirProxy", "global.ammsp",
    "sigV4Proxy", "prometheus", "grafana", "federatedETL", "kubecostModel", "kubecostAggregator", "kubecostFrontend",
    "kubecostMetrics", "etlUtils", "awsstore", "service", "pricingCsv",
    "kubecostProductConfigs.clusterName", "kubecostProductConfigs.cloudIntegrationSecret",
)  # fmt: skip


def values(spec: ClusterSpec) -> dict[str, Any]:
    """Flat key -> value: who the cluster is, where its data goes, which accounts its pods use, which parts run."""
    flat: dict[str, Any] = {
        # Required; the only cluster-id key in 3.x ("kubecost.clusterId.check").
        "global.clusterId": spec.cluster,
        # The Secret ampctl creates (key federated-store.yaml, "kubecost.federatedStorage.fileName"). NOTES.txt looks
        # it up at install time and fails when it is missing ("kubecost.federatedStorage.secret.check").
        "global.federatedStorage.existingSecret": OBJECT_STORE_SECRET,
        "serviceAccount.create": False,
        "serviceAccount.name": SA_AGGREGATOR,
        "finopsagent.enabled": True,
        "finopsagent.serviceAccount.create": False,
        "finopsagent.serviceAccount.name": SA_FINOPS_AGENT,
        "clusterController.enabled": True,
        "clusterController.serviceAccount.create": False,
        # "The localStore should be disabled when using federated storage as it is not used"
        # (examples/federatedStorage/helmValues-kubecost-primary.yaml at v3.2.1); it has no ServiceAccount key.
        "localStore.enabled": False,
    }
    for component in PRIMARY_ONLY:
        flat[f"{component}.enabled"] = spec.primary
    return flat


# The volumes a 3.x release claims with ampctl's values (local-store off), for release `kubecost`, read from the chart
# at 3.2.1: the aggregator StatefulSet's two claim templates (templates/aggregator/aggregator-statefulset.yaml; the
# same claims as the 2.x aggregator's, so a primary moved from 2.x keeps them) and cloud-cost's persistent configs
# (templates/cloud-cost/cloud-cost-persistent-configs-pvc.yaml), both on the primary only. The finops-agent claims
# none (charts/finops-agent/values.yaml `persistence.enabled: false`), so an agent creates no volumes.
PRIMARY_CLAIMS = (
    "aggregator-db-storage-kubecost-aggregator-0", "persistent-configs-kubecost-aggregator-0",
    "kubecost-cloud-cost-persistent-configs",
)  # fmt: skip


def claims(primary: bool, release: str) -> list[str]:
    """The claim names of a 3.x release (see PRIMARY_CLAIMS), for `release`."""
    return [name.replace("kubecost", release) for name in PRIMARY_CLAIMS] if primary else []


# The chart's own EKS overlay, values-eks-cost-monitoring.yaml at 3.2.1: every image from Amazon ECR Public.
EKS_OVERLAY: dict[str, Any] = {
    "global.imageRegistry": "public.ecr.aws",
    "frontend.image.repository": "kubecost/frontend",
    "aggregator.image.repository": "kubecost/cost-model",
    "forecasting.image.repository": "kubecost/modeling",
    "networkCosts.image.repository": "kubecost/network-costs",
    "clusterController.image.repository": "kubecost/cluster-controller",
    "finopsagent.image.repository": "kubecost/agent",
}


def describe_role(spec: ClusterSpec) -> str:
    if spec.primary:
        return "primary: its finops-agent writes to the bucket, the aggregator reads every cluster's data from it"
    return "agent: only the finops-agent (and cluster-controller) run, writing to the bucket; no aggregator, frontend"
