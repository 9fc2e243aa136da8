"""What the cost-analyzer chart lines (1.x, 2.x, 2.9) share: the AMP ServiceAccounts, the cluster-id keys, 2.x's
federation keys and CI/CD switch, their volumes, and the requests of their pods.

Volumes, read from the real charts' templates (checked against `helm template` of every supported chart with ampctl's
values by tests/charts/test_storage.py):
- cost-analyzer: templates/cost-analyzer-pvc-template.yaml, `persistentVolume.size` 32Gi, class
  `persistentVolume.storageClass` (every line);
- prometheus-server: 1.x charts/prometheus/templates/server-pvc.yaml, 2.x
  templates/prometheus/prometheus-server-pvc.yaml, 32Gi, class `prometheus.server.persistentVolume.storageClass`;
- the 2.x aggregator StatefulSet (federated primary): templates/aggregator-statefulset.yaml, volumeClaimTemplates
  aggregator-db-storage 128Gi (`kubecostAggregator.aggregatorDbStorage.storageClass`) and persistent-configs 1Gi
  (`kubecostAggregator.persistentConfigsStorage.storageClass`);
- 2.9's finops-agent subchart (alias finopsagent): charts/finops-agent/templates/pvc.yaml, 8Gi, class
  `finopsagent.persistence.storageClass`.
A claim with no class set gets the cluster's default StorageClass.
"""

from __future__ import annotations

from typing import Any

from ampctl.lines.base import Claim, Need, Role, Version

SA_COST_ANALYZER = "kubecost-cost-analyzer-amp"
SA_PROMETHEUS = "kubecost-prometheus-server-amp"
SERVICE_ACCOUNTS = {"serviceAccount.name": SA_COST_ANALYZER, "prometheus.serviceAccounts.server.name": SA_PROMETHEUS}
CHART_NAME = "cost-analyzer"
# The components with an IAM role on AMP, and their ServiceAccounts: the cost-model queries AMP through the sigv4
# proxy, prometheus-server remote-writes to it (the AWS guide's two IRSA service accounts).
COMPONENTS = {"cost-analyzer": SA_COST_ANALYZER, "prometheus-server": SA_PROMETHEUS}


def accounts(primary: bool, release: str) -> dict[str, str]:
    """component -> ServiceAccount (`Line.service_accounts`): the same pair on every cluster of a cost-analyzer line."""
    return dict(COMPONENTS)


EXTERNAL_LABEL = "prometheus.server.global.external_labels.cluster_id"
CLUSTER_NAME = "kubecostProductConfigs.clusterName"
FEDERATED_2X: dict[Role, dict[str, Any]] = {
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
CICD = {"global.platforms.cicd.enabled": True, "global.platforms.cicd.skipSanityChecks": True}

COST_ANALYZER = Claim("kubecost-cost-analyzer", "32Gi", "persistentVolume.storageClass")
PROMETHEUS = Claim("kubecost-prometheus-server", "32Gi", "prometheus.server.persistentVolume.storageClass")
AGGREGATOR = (
    Claim(
        "aggregator-db-storage-kubecost-aggregator-0", "128Gi", "kubecostAggregator.aggregatorDbStorage.storageClass"
    ),
    Claim(
        "persistent-configs-kubecost-aggregator-0", "1Gi", "kubecostAggregator.persistentConfigsStorage.storageClass"
    ),
)
FINOPS_AGENT = Claim("kubecost-finopsagent", "8Gi", "finopsagent.persistence.storageClass")

# Pod requests with ampctl's values (one replica each), read from the charts' values.yaml (cost-model 200m/55Mi,
# frontend 10m/55Mi, forecasting 200m/300Mi, 2.9's finops-agent 500m/512Mi, 1.108's diagnostics 10m/20Mi in
# federated mode); checked against `helm template` of every supported chart by tests/charts/test_requests.py.
# Prometheus server and the aggregator ask for nothing.
MI = 2.0**20


def cost_analyzer(agent_only: bool) -> Need:
    """cost-model and, unless the release is a 2.x agent (no frontend, no forecasting), the frontend."""
    return Need("cost-analyzer", 0.2 if agent_only else 0.21, (55 if agent_only else 110) * MI)


def requests_2x(version: Version, primary: bool, federated: bool) -> list[Need]:
    agent_only = federated and not primary  # 2.x agents run no frontend and no forecasting
    return [cost_analyzer(agent_only)] + ([] if agent_only else [Need("forecasting", 0.2, 300 * MI)])
