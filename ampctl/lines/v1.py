"""The 1.x line: cost-analyzer 1.97-1.108 on AMP; in federated mode the Federator on the primary combines every
cluster's ETL from the bucket."""

from __future__ import annotations

from ampctl.lines import costanalyzer as ca
from ampctl.lines.base import CLUSTER, Claim, Line, LineKeys, ModeRefusal, Need, Version

KEYS = LineKeys(
    name="1.x",
    cluster_id_keys=(ca.CLUSTER_NAME, ca.EXTERNAL_LABEL),
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
    service_accounts=ca.SERVICE_ACCOUNTS,
)

NO_FEDERATED_ETL = ModeRefusal(
    True,
    "Kubecost {version} has no federated ETL (it starts at 1.98.0): the object-store Secret would be mounted and "
    "never used",
    "use {flag} 1.98.0 or later (for example 1.108.1), or drop --federated for quick-start",
    (1, 97, 0), (1, 97, 0),
)  # fmt: skip


def claims(primary: bool, federated: bool) -> list[Claim]:
    return [ca.COST_ANALYZER, ca.PROMETHEUS]


def requests(version: Version, primary: bool, federated: bool) -> list[Need]:
    needs = [ca.cost_analyzer(False)]
    if federated and version[1] >= 108:  # assumption: from 1.108 on (absent from 1.103's chart)
        needs.append(Need("diagnostics", 0.01, 20 * ca.MI))
    return needs


def filter_key(version: Version) -> str | None:
    """The key that renders CURRENT_CLUSTER_ID_FILTER_ENABLED on this version, or None when none does."""
    if (1, 104, 1) <= version <= (1, 104, 5):
        return "federatedETL.federator.useMultiClusterDB"
    return "federatedETL.useMultiClusterDB" if version >= (1, 106, 1) else None


def leaving(current: str, target: str, before: Line, after: Line) -> tuple[str, str] | None:
    if after is LINE:
        return None
    return (
        f"{current} to {target} moves from the 1.x Federator to the 2.x Aggregator, which re-installs Kubecost",
        "install 2.x as a new fleet (bootstrap --kubecost-version 2.8.7 with its own --alias and --bucket)",
    )


LINE = Line(
    name="1.x",
    family="1.x",
    chart_name=ca.CHART_NAME,
    chart=None,
    on_amp=True,
    keys=KEYS,
    mode_refusals=(NO_FEDERATED_ETL,),
    pod_identity_from=(2, 2, 0),  # none of 1.x: Kubecost documents EKS Pod Identity from 2.2.0
    claims=claims,
    requests=requests,
    cluster_filter_key=filter_key,
    quick_start_primary_shows_fleet=True,
    leaving=leaving,
    overlay_template="eks-overlay-1.x.yaml.j2",
    federation_template="federation-1.x-{role}.yaml.j2",
    federation_roles={
        "primary": "runs the Federator that combines every cluster's ETL from the bucket",
        "agent": "pushes its ETL to the bucket for the primary's Federator",
    },
    service_accounts=ca.accounts,
)
