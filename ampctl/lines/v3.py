"""The 3.x line: the `kubecost` chart, its keys, values, refusals, volumes, the components that use the bucket, and
what doctor expects of it.

Read from the chart at 3.2.1 (../shared/charts/kubecost-3.2.1.tgz; kubecost/kubecost at tag v3.2.1) and checked with
`helm template` (tests/charts/test_kubecost3.py). 3.x has no Prometheus and no AMP: every cluster's finops-agent
writes its data to the S3 bucket (`global.federatedStorage`), and the primary's aggregator reads it all.
"""

from __future__ import annotations

from typing import Any

from ampctl.lines.base import OBJECT_STORE_SECRET, Claim, DoctorExpectations, Line, LineKeys, ModeRefusal, Site
from ampctl.lines.v29 import BRIDGE_VERSION

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


def service_accounts(spec: Site) -> dict[str, str]:
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


def values(spec: Site) -> dict[str, Any]:
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


# The volumes a 3.x release claims with ampctl's values (local-store off), read from the chart at 3.2.1: the aggregator
# StatefulSet's two claim templates (templates/aggregator/aggregator-statefulset.yaml, sizes and classes
# `aggregator.aggregatorDbStorage` and `aggregator.persistentConfigsStorage` in values.yaml; the same claims as the
# 2.x aggregator's, so a primary moved from 2.x keeps them) and cloud-cost's persistent configs
# (templates/cloud-cost/cloud-cost-persistent-configs-pvc.yaml, `cloudCost.persistentConfigsStorage`), both on the
# primary only. The finops-agent claims none (charts/finops-agent/values.yaml `persistence.enabled: false`), so an
# agent creates no volumes.
PRIMARY_CLAIMS = (
    Claim("aggregator-db-storage-kubecost-aggregator-0", "128Gi", "aggregator.aggregatorDbStorage.storageClass"),
    Claim("persistent-configs-kubecost-aggregator-0", "1Gi", "aggregator.persistentConfigsStorage.storageClass"),
    Claim("kubecost-cloud-cost-persistent-configs", "1Gi", "cloudCost.persistentConfigsStorage.storageClass"),
)


def claims(primary: bool, federated: bool) -> list[Claim]:
    """The claims of a 3.x release (see PRIMARY_CLAIMS)."""
    return list(PRIMARY_CLAIMS) if primary else []


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


def describe_role(spec: Site) -> str:
    if spec.primary:
        return "primary: its finops-agent writes to the bucket, the aggregator reads every cluster's data from it"
    return "agent: only the finops-agent (and cluster-controller) run, writing to the bucket; no aggregator, frontend"


# The contract facts doctor and the object-store Secret read. The federated-store.yaml format is 2.x's ("the same S3
# objstore format", examples/federatedStorage at v3.2.1; assumption: aws_sdk_auth is still read, and the SDK's default
# chain that it selects covers IRSA and Pod Identity alike).
KEYS = LineKeys(
    name="3.x",
    cluster_id_keys=("global.clusterId",),
    object_store_key="global.federatedStorage.existingSecret",
    forbidden_keys=("kubecostProductConfigs.clusterName", "prometheus", "global.amp", "sigV4Proxy"),
    federation={"primary": {}, "agent": {}},
    aws_sdk_auth=True,
)

# kubecost 3.0.0-3.0.2 name the finops-agent subchart `finops-agent` (Chart.yaml dependencies, no alias); from 3.0.3
# it is aliased `finopsagent` and a `finops-agent` key fails ("kubecost.finopsagentCheck" in templates/_helpers.tpl
# at 3.2.1). ampctl sets the agent's ServiceAccount under `finopsagent`, which those three would ignore.
FINOPSAGENT_KEY_REFUSED = (
    "its chart takes the finops-agent's values under `finops-agent` (from 3.0.3 on: `finopsagent`), so the agent "
    "would not run as the ServiceAccount ampctl binds to the bucket"
)
FEDERATED_ONLY = ModeRefusal(
    False,
    "Kubecost {version} keeps every cluster's data in the S3 bucket (global.federatedStorage): ampctl's 3.x fleets "
    "are federated only",
    "drop --no-federated (3.x implies the bucket), or use {flag} {default} for quick-start on AMP",
)


def arriving(current: str, target: str, before: Line, after: Line) -> tuple[str, str] | None:
    """Kubecost's path to 3.x goes through the bridge line (upgrade.paths: its README at v3.2.1)."""
    if before is LINE or before.bridge:
        return None
    return (
        f"{current} cannot go straight to {target}: Kubecost's path to 3.x runs every cluster on 2.9 for two days "
        "first (its finops-agent writes the current day's data to the bucket)",
        f"upgrade to {BRIDGE_VERSION} first (`ampctl upgrade --to {BRIDGE_VERSION}`), then to {target} two days on",
    )


# doctor on 3.x: the checks of area kubecost3 (ampctl.doctor.kubecost3, kubecost3id) run here only; of the 1.x/2.x
# checks, those that hold on every line run (credentials, the cluster and Kubernetes, the OIDC provider (IRSA) and
# Pod Identity agent, the release, the object-store Secret and the bucket, the volumes), the others are skipped, said
# why by their id's first part (the areas of ampctl.doctor.model).
DOCTOR = DoctorExpectations(
    area="kubecost3",
    elsewhere="not Kubecost 3.x",
    label="Kubecost 3.x",
    other="a 1.x/2.x check",
    shared=frozenset({
        "identity.credentials", "identity.account", "identity.cluster", "identity.kubernetes", "irsa.oidc-provider",
        "pod-identity.agent", "release.status", "federated.secret", "federated.bucket", "workloads.pvcs",
    }),
    skipped={
        "identity": "3.x uses no AMP workspace",
        "irsa": "3.x has no cost-analyzer or prometheus-server AMP roles: its roles are checked under kubecost3.*",
        "pod-identity": "3.x has no cost-analyzer or prometheus-server AMP roles (nor a sigv4 proxy): see kubecost3.*",
        "chain": "3.x uses no AMP workspace, so no role chain to one",
        "values": "3.x has no AMP, sigv4 or Prometheus values (the chart refuses them): see kubecost3.values",
        "workloads": "3.x has no cost-analyzer or prometheus-server Deployment: see kubecost3.workloads",
        "federated": "2.x's cost-model ETL and 2.9's finops-agent: on 3.x see kubecost3.freshness and "
        "kubecost3.*.access",
        "fleet": "a 3.x fleet's shape is recorded on its bucket, not on a workspace",
        "promql": "3.x has no Prometheus and no AMP: nothing to query (the data is in the bucket: kubecost3.freshness)",
        "logs": "3.x runs no sigv4proxy, cost-model or prometheus-server container",
    },
)  # fmt: skip

LINE = Line(
    name="3.x",
    family="3.x",
    chart_name=CHART_NAME,
    chart=CHART,
    on_amp=False,
    keys=KEYS,
    refused={(3, 0, patch): FINOPSAGENT_KEY_REFUSED for patch in (0, 1, 2)},
    mode_refusals=(FEDERATED_ONLY,),
    claims=claims,
    arriving=arriving,
    doctor=DOCTOR,
    values=values,
    eks_overlay=EKS_OVERLAY,
    describe_role=describe_role,
    service_accounts=accounts,
)
