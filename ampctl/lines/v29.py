"""The 2.9 line: cost-analyzer 2.9 on AMP, federated only; its finops-agent writes to the bucket, which makes it the
bridge every cluster runs before 3.x (examples/README.md at v2.9.7)."""

from __future__ import annotations

from datetime import timedelta

from ampctl.lines import costanalyzer as ca
from ampctl.lines.base import Claim, Line, LineKeys, ModeRefusal, Need, Version
from ampctl.lines.v2 import FEDERATION_ROLES, filter_key

KEYS = LineKeys(
    name="2.9",
    cluster_id_keys=(ca.CLUSTER_NAME, ca.EXTERNAL_LABEL, "global.clusterId"),
    object_store_key="global.federatedStorage.existingSecret",
    forbidden_keys=("federatedETL.useExistingS3Config", "kubecostModel.federatedStorageConfigSecret"),
    federation=ca.FEDERATED_2X,
    aws_sdk_auth=True,
    # The finops-agent subchart reads and writes the bucket too; it runs as the cost-analyzer's
    # ServiceAccount (the chart's documented way to give it that account's IAM role).
    finops_agent_sa_key="finopsagent.serviceAccount.name",
    # With federated storage on, the finops-agent renders ConfigMap pricing-configs, cost-analyzer's default
    # name for its own: a fresh install fails (`configmaps "pricing-configs" already exists`). Renamed,
    # cost-model is told the name (PRICING_CONFIGMAP_NAME).
    federated_names={"pricingConfigmapName": "kubecost-pricing-configs"},
    gitops_template_values=ca.CICD,
    service_accounts=ca.SERVICE_ACCOUNTS,
)

# cost-analyzer 2.9.0 and 2.9.1: `kc29FailConditions` (templates/_helpers.tpl, rendered from NOTES.txt) fails
# unless prometheus.server.global.external_labels.cluster_id is the chart default `cluster-one` ("In kubecost
# 2.9, the location of the cluster_id configuration has changed"), measured with `helm template` at those tags.
# On AMP that label is what keeps one cluster's samples apart from another's in the shared workspace, so the
# chart either fails or writes every cluster under one id. The chart at 2.9.7 (../shared/charts) has no such
# condition in kc29FailConditions; 2.9.2 through 2.9.7 render with per-cluster ids.
CLUSTER_ID_REFUSED = (
    "its chart fails unless prometheus.server.global.external_labels.cluster_id is the default cluster-one, "
    "and on AMP every cluster needs its own id there"
)
FEDERATED_ONLY = ModeRefusal(
    False,
    "Kubecost {version} runs federated only: the 2.9 chart requires federated storage (global.federatedStorage), "
    "so quick-start is not possible",
    "add --federated (every cluster writes to the shared bucket), or use {flag} {default} for quick-start",
)
# The newest 2.9 checked against the real chart (../shared/charts): where the path to 3.x goes first.
BRIDGE_VERSION = "2.9.7"


def claims(primary: bool, federated: bool) -> list[Claim]:
    return [ca.COST_ANALYZER, ca.PROMETHEUS, *(ca.AGGREGATOR if primary and federated else ()), ca.FINOPS_AGENT]


def requests(version: Version, primary: bool, federated: bool) -> list[Need]:
    return [*ca.requests_2x(version, primary, federated), Need("finops-agent", 0.5, 512 * ca.MI)]


# How long each cluster's finops-agent runs on this line before it moves off AMP: "The finops-agent must run for 2
# days before upgrading to 3.x" (examples/README.md at v2.9.7, step 6); `ampctl upgrade` holds 3.x back until then.
BRIDGE_TIME = timedelta(days=2)

LINE = Line(
    name="2.9",
    family="2.x",
    chart_name=ca.CHART_NAME,
    chart=None,
    on_amp=True,
    keys=KEYS,
    refused={(2, 9, 0): CLUSTER_ID_REFUSED, (2, 9, 1): CLUSTER_ID_REFUSED},
    mode_refusals=(FEDERATED_ONLY,),
    product_key=True,
    bridge=True,
    claims=claims,
    # The finops-agent's claim carries `helm.sh/resource-policy: keep` (cost-analyzer 2.9.7,
    # charts/finops-agent/values.yaml `persistence.annotations`): helm leaves it behind when the chart drops it.
    kept_claims=(ca.FINOPS_AGENT,),
    requests=requests,
    cluster_filter_key=filter_key,  # as 2.x
    kubernetes_tested={(2, 9): ((1, 22), (1, 34))},  # Kubecost's README at v3.2.1, as for 2.8 (ampctl.lines.v2)
    overlay_template="eks-overlay-2.x.yaml.j2",
    federation_roles=FEDERATION_ROLES,
    service_accounts=ca.accounts,
)
