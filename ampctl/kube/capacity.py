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
from typing import Any

from ampctl.lines.base import Need as Need
from ampctl.versions import line_of, parse_version

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


def chart_requests(version: str, primary: bool, federated: bool) -> list[Need]:
    """The requests of Kubecost's pods with ampctl's values (one replica each), as the version's line says
    (ampctl.lines; the cost-analyzer lines' figures and sources in ampctl.lines.costanalyzer)."""
    return line_of(version).requests(parse_version(version), primary, federated)


def shown(amount: Amount) -> str:
    return f"{amount['cpu'] * 1000:.0f}m cpu, {amount['memory'] / 2**20:.0f}Mi memory"
