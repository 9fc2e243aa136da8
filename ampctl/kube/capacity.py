"""What a cluster's schedulable nodes can still take, and what Kubecost's pods ask for (pure: objects as the API
server gives them).

Free capacity is a node's allocatable cpu and memory less the requests of the pods placed on it, as kube-scheduler's
NodeResourcesFit filter counts (kubernetes/kubernetes pkg/scheduler/framework/plugins/noderesources/fit.go: a pod's
request is the sum of its containers', or its largest init container's when larger). A node counts when it is
Ready, not cordoned (spec.unschedulable) and has no NoSchedule/NoExecute taint (pods of a chart without
tolerations cannot land there; the TaintToleration filter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ampctl.versions import parse_version

_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_SUFFIX = {
    "": 1.0, "m": 0.001, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30,
    "Ti": 2.0**40,
}  # fmt: skip
RESOURCES = ("cpu", "memory")
Amount = dict[str, float]  # cores, bytes


def quantity(value: object) -> float:
    """A Kubernetes quantity ("200m", "55Mi", "1") in units (cores, bytes); 0 when unreadable."""
    match = _QUANTITY.match(str(value).strip())
    if not match or match.group(2) not in _SUFFIX:
        return 0.0
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def pod_requests(spec: dict[str, Any]) -> Amount:
    total = dict.fromkeys(RESOURCES, 0.0)
    for c in spec.get("containers") or []:
        for r in RESOURCES:
            total[r] += quantity(((c.get("resources") or {}).get("requests") or {}).get(r, 0))
    for c in spec.get("initContainers") or []:
        for r in RESOURCES:
            total[r] = max(total[r], quantity(((c.get("resources") or {}).get("requests") or {}).get(r, 0)))
    return total


def _schedulable(node: dict[str, Any]) -> bool:
    spec, status = node.get("spec") or {}, node.get("status") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    tainted = any(t.get("effect") in ("NoSchedule", "NoExecute") for t in spec.get("taints") or [])
    return ready and not spec.get("unschedulable") and not tainted


def _placed(pod: dict[str, Any]) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    conditions = status.get("conditions") or []
    return not any(c.get("type") == "PodScheduled" and c.get("status") == "False" for c in conditions)


def free(nodes: list[dict[str, Any]], pods: list[dict[str, Any]]) -> dict[str, Amount]:
    """Per schedulable node: allocatable less the requests of the pods placed there."""
    left = {
        n["metadata"]["name"]: {
            r: quantity(((n.get("status") or {}).get("allocatable") or {}).get(r, 0)) for r in RESOURCES
        }
        for n in nodes
        if _schedulable(n)
    }
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if node in left and _placed(pod):
            for r, v in pod_requests(pod.get("spec") or {}).items():
                left[node][r] -= v
    return left


@dataclass(frozen=True)
class Need:
    component: str
    cpu: float  # cores
    memory: float  # bytes


def chart_requests(version: str, primary: bool, federated: bool) -> list[Need]:
    """The requests of Kubecost's pods with ampctl's values (one replica each), read from the charts' values.yaml
    (cost-model 200m/55Mi, frontend 10m/55Mi, forecasting 200m/300Mi, 2.9's finops-agent 500m/512Mi, 1.108's
    diagnostics 10m/20Mi in federated mode); checked against `helm template` of every supported chart by
    tests/charts/test_requests.py. Prometheus server and the aggregator ask for nothing."""
    major, minor, _ = parse_version(version)
    mi = 2.0**20
    agent_only = major >= 2 and federated and not primary  # 2.x agents run no frontend and no forecasting
    needs = [Need("cost-analyzer", 0.2 if agent_only else 0.21, (55 if agent_only else 110) * mi)]
    if major == 1 and federated and minor >= 108:  # assumption: from 1.108 on (absent from 1.103's chart)
        needs.append(Need("diagnostics", 0.01, 20 * mi))
    if major >= 2 and not agent_only:
        needs.append(Need("forecasting", 0.2, 300 * mi))
    if (major, minor) >= (2, 9):
        needs.append(Need("finops-agent", 0.5, 512 * mi))
    return needs


def shown(amount: Amount) -> str:
    return f"{amount['cpu'] * 1000:.0f}m cpu, {amount['memory'] / 2**20:.0f}Mi memory"
