"""The 2.x line (2.0-2.8): cost-analyzer on AMP; in federated mode the Aggregator (a StatefulSet) on the primary
reads every cluster's ETL from the bucket."""

from __future__ import annotations

from ampctl.lines import costanalyzer as ca
from ampctl.lines.base import Claim, Line, LineKeys, ModeRefusal, Version

KEYS = LineKeys(
    name="2.x",
    cluster_id_keys=(ca.CLUSTER_NAME, ca.EXTERNAL_LABEL),
    object_store_key="kubecostModel.federatedStorageConfigSecret",
    forbidden_keys=("federatedETL.useExistingS3Config",),
    federation=ca.FEDERATED_2X,
    aws_sdk_auth=True,
    gitops_template_values=ca.CICD,
    service_accounts=ca.SERVICE_ACCOUNTS,
)

NO_QUICK_START = ModeRefusal(
    False,
    "Kubecost {version} refuses quick-start with AMP: the chart fails with 'Multi-Cluster-Prometheus Error' "
    "(multi-cluster Prometheus without federated storage is unsupported on 2.0.0–2.2.1)",
    "use {flag} 2.2.2 or later (for example {default}), or add --federated",
    (2, 0, 0), (2, 2, 1),
)  # fmt: skip

FEDERATION_ROLES = {
    "primary": "pushes its ETL to the bucket and runs the Aggregator (a StatefulSet) that reads it all",
    "agent": "an agent that only pushes its ETL to the bucket; no Aggregator and no frontend run here",
}


def claims(primary: bool, federated: bool) -> list[Claim]:
    return [ca.COST_ANALYZER, ca.PROMETHEUS, *(ca.AGGREGATOR if primary and federated else ())]


def filter_key(version: Version) -> str | None:
    return "federatedETL.useMultiClusterDB"


LINE = Line(
    name="2.x",
    family="2.x",
    chart_name=ca.CHART_NAME,
    chart=None,
    on_amp=True,
    keys=KEYS,
    mode_refusals=(NO_QUICK_START,),
    pod_identity_from=(2, 2, 0),  # Kubecost documents EKS Pod Identity from this chart version on
    product_key=True,
    claims=claims,
    requests=ca.requests_2x,
    cluster_filter_key=filter_key,
    # 2.0.0-2.0.2 fail on AMP even with federated storage unless upgrade.toV2 is set: correct only there.
    upgrade_ack=((2, 0, 0), (2, 0, 2)),
    # Kubecost's README at v3.2.1 gives 1.22 to 1.34 for 2.8 (as recorded in the shared chart facts; the chart
    # packages carry no kubeVersion constraint). Other minors: no published range known to ampctl.
    kubernetes_tested={(2, 8): ((1, 22), (1, 34))},
    overlay_template="eks-overlay-2.x.yaml.j2",
    federation_roles=FEDERATION_ROLES,
    service_accounts=ca.accounts,
)
