"""The volumes each chart line asks for, per role and mode, and the key that sets each one's StorageClass.

Read from the real charts' templates (checked against `helm template` of every supported chart with ampctl's values
by tests/charts/test_storage.py):
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

from dataclasses import dataclass

from ampctl.versions import parse_version


@dataclass(frozen=True)
class Claim:
    name: str  # the claim's name for release `kubecost` (a StatefulSet's: <template>-<pod>)
    size: str
    class_key: str


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


def claims(version: str, primary: bool, federated: bool) -> list[Claim]:
    """The claims a release of cost-analyzer `version` creates in this role and mode."""
    major, minor, _ = parse_version(version)
    found = [COST_ANALYZER, PROMETHEUS]
    if major >= 2 and primary and federated:
        found += AGGREGATOR
    if (major, minor) >= (2, 9):
        found.append(FINOPS_AGENT)
    return found


def storage_class_values(version: str, primary: bool, federated: bool, storage_class: str) -> dict[str, str]:
    """Flat key -> class for every claim of the line (`--storage-class`)."""
    return {c.class_key: storage_class for c in claims(version, primary, federated)}


def release_claim_name(claim: Claim, release: str) -> str:
    return claim.name.replace("kubecost", release)
