"""Scheduling against node capacity, and the events the scheduler and the volume controller record.

A pod fits when the node's allocatable cpu and memory, less the requests of the pods already placed there, cover its
own requests (kube-scheduler's NodeResourcesFit filter: kubernetes/kubernetes
pkg/scheduler/framework/plugins/noderesources/fit.go, reason "Insufficient <resource>"). The pod's request is the sum
of its containers' requests, or its largest init container's when larger (same file, computePodResourceRequest).
The message is FitError's (pkg/scheduler/framework/types.go: "0/<n> nodes are available: <count> <reason>, ...", the
reasons sorted) followed by the default preemption plugin's own ("preemption: 0/<n> nodes are available: <n> No
preemption victims found for incoming pod.").
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from typing import Any

from ampctl.sandbox.kubeapi.admission import now
from ampctl.sandbox.kubeapi.status import ApiError
from ampctl.sandbox.kubeapi.store import ObjectStore

_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_SUFFIX = {
    "": 1, "m": 0.001, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
}  # fmt: skip
RESOURCES = ("cpu", "memory")


def quantity(value: object) -> float:
    """A Kubernetes quantity ("200m", "55Mi", "1") as a number of units (cores, bytes)."""
    match = _QUANTITY.match(str(value).strip())
    if not match or match.group(2) not in _SUFFIX:
        return 0.0
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def _requests(container: dict[str, Any]) -> dict[str, float]:
    asked = (container.get("resources") or {}).get("requests") or {}
    return {r: quantity(asked.get(r, 0)) for r in RESOURCES}


def pod_requests(spec: dict[str, Any]) -> dict[str, float]:
    total = dict.fromkeys(RESOURCES, 0.0)
    for container in spec.get("containers") or []:
        for r, v in _requests(container).items():
            total[r] += v
    for container in spec.get("initContainers") or []:
        for r, v in _requests(container).items():
            total[r] = max(total[r], v)
    return total


def _placed(pod: dict[str, Any]) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed") or pod["metadata"].get("deletionTimestamp"):
        return False
    return any(c.get("type") == "PodScheduled" and c.get("status") == "True" for c in status.get("conditions") or [])


def insufficient(store: ObjectStore, pod: dict[str, Any]) -> list[str]:
    """The resources the node lacks for `pod` (empty: it fits)."""
    nodes = store.list("v1", "nodes")
    if not nodes:
        return list(RESOURCES)
    free = {r: quantity(((nodes[0].get("status") or {}).get("allocatable") or {}).get(r, 0)) for r in RESOURCES}
    me = pod["metadata"].get("uid")
    for other in store.list("v1", "pods"):
        if other["metadata"].get("uid") != me and _placed(other):
            for r, v in pod_requests(other.get("spec") or {}).items():
                free[r] -= v
    wanted = pod_requests(pod.get("spec") or {})
    return [r for r in RESOURCES if wanted[r] > 0 and wanted[r] > free[r] + 1e-9]


def unschedulable_message(missing: list[str], nodes: int = 1) -> str:
    reasons = ", ".join(sorted(f"{nodes} Insufficient {r}" for r in missing))
    return (
        f"0/{nodes} nodes are available: {reasons}. preemption: 0/{nodes} nodes are available: "
        f"{nodes} No preemption victims found for incoming pod."
    )


def record_event(
    store: ObjectStore, involved: dict[str, Any], reason: str, message: str, kind: str, component: str
) -> None:
    """A core/v1 Event about `involved`, as `kubectl describe` and `kubectl get events` show it."""
    meta = involved["metadata"]
    stamp = now()
    digest = hashlib.sha1(f"{meta.get('uid')}{reason}{message}{stamp}".encode()).hexdigest()[:16]
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{digest}", "namespace": meta.get("namespace") or "default"},
        "involvedObject": {
            "apiVersion": involved.get("apiVersion", "v1"),
            "kind": involved.get("kind", ""),
            "name": meta["name"],
            "namespace": meta.get("namespace", ""),
            "uid": meta.get("uid", ""),
        },
        "reason": reason,
        "message": message,
        "type": kind,
        "source": {"component": component},
        "reportingComponent": component,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }
    with contextlib.suppress(ApiError):  # an event is best effort, as in the real API (events may be dropped)
        store.create("v1", "events", event)
