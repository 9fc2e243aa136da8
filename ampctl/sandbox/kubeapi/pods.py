"""Pods as the scheduler and kubelet would leave them: Running and Ready, or Pending on unbound claims."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import itertools
import json
import threading
import time
from typing import Any

from ampctl.sandbox.kubeapi.admission import now
from ampctl.sandbox.kubeapi.defaults import NODE_NAME
from ampctl.sandbox.kubeapi.objects import NAME_ALPHABET
from ampctl.sandbox.kubeapi.scheduling import insufficient, record_event, unschedulable_message
from ampctl.sandbox.kubeapi.store import ObjectStore

_ips = itertools.count(2)
_ips_lock = threading.Lock()
UNBOUND = "pod has unbound immediate PersistentVolumeClaims"


def next_pod_ip() -> str:
    with _ips_lock:
        n = next(_ips)
    return f"10.0.{(n // 250) % 250 + 1}.{n % 250 + 1}"


def template_hash(template: dict[str, Any]) -> str:
    """A stable short hash of a pod template, spelled like pod-template-hash values."""
    digest = int.from_bytes(hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()[:8], "big")
    out = []
    for _ in range(10):
        digest, rest = divmod(digest, len(NAME_ALPHABET))
        out.append(NAME_ALPHABET[rest])
    return "".join(out)


def owner_reference(owner: dict[str, Any]) -> dict[str, Any]:
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def claims(spec: dict[str, Any]) -> list[str]:
    return [
        v["persistentVolumeClaim"]["claimName"]
        for v in spec.get("volumes") or []
        if isinstance(v.get("persistentVolumeClaim"), dict) and v["persistentVolumeClaim"].get("claimName")
    ]


def claims_bound(store: ObjectStore, namespace: str, spec: dict[str, Any]) -> bool:
    for claim in claims(spec):
        pvc = store.get_raw("v1", "persistentvolumeclaims", namespace, claim)
        if pvc is None or (pvc.get("status") or {}).get("phase") != "Bound":
            return False
    return True


def _condition(kind: str, status: bool, stamp: str, reason: str = "", message: str = "") -> dict[str, Any]:
    cond: dict[str, Any] = {
        "type": kind,
        "status": "True" if status else "False",
        "lastProbeTime": None,
        "lastTransitionTime": stamp,
    }
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def pod_status(spec: dict[str, Any], phase: str, pod_ip: str = "") -> dict[str, Any]:
    """The status of a pod in `phase` ("Running", "Pending" or "Succeeded")."""
    stamp = now()
    if phase == "Pending":
        return {
            "phase": "Pending",
            "qosClass": "BestEffort",
            "conditions": [
                _condition("PodScheduled", False, stamp, "Unschedulable", f"0/1 nodes are available: {UNBOUND}.")
            ],
        }
    done = phase == "Succeeded"
    containers = []
    for container in spec.get("containers") or []:
        state = (
            {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": stamp, "finishedAt": stamp}}
            if done
            else {"running": {"startedAt": stamp}}
        )
        containers.append(
            {
                "name": container.get("name", ""),
                "image": container.get("image", ""),
                "imageID": container.get("image", ""),
                "ready": not done,
                "started": not done,
                "restartCount": 0,
                "state": state,
                "containerID": "containerd://"
                + hashlib.sha1((container.get("name", "") + stamp + pod_ip).encode()).hexdigest(),
            }
        )
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": [
            _condition("PodReadyToStartContainers", not done, stamp),
            _condition("Initialized", True, stamp, "PodCompleted" if done else ""),
            _condition("Ready", not done, stamp, "PodCompleted" if done else ""),
            _condition("ContainersReady", not done, stamp, "PodCompleted" if done else ""),
            _condition("PodScheduled", True, stamp),
        ],
        "hostIP": "10.0.0.10",
        "hostIPs": [{"ip": "10.0.0.10"}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": stamp,
        "qosClass": "BestEffort",
        "containerStatuses": containers,
    }
    if spec.get("initContainers"):
        status["initContainerStatuses"] = [
            {
                "name": c.get("name", ""),
                "image": c.get("image", ""),
                "imageID": c.get("image", ""),
                "ready": True,
                "started": False,
                "restartCount": 0,
                "state": {
                    "terminated": {"exitCode": 0, "reason": "Completed", "startedAt": stamp, "finishedAt": stamp}
                },
            }
            for c in spec["initContainers"]
        ]
    return status


def is_ready(pod: dict[str, Any]) -> bool:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def build_pod(
    template: dict[str, Any],
    name: str,
    namespace: str,
    owner: dict[str, Any] | None,
    labels: dict[str, str],
    extra_volumes: list[dict[str, Any]] | None = None,
    hostname: str = "",
    subdomain: str = "",
) -> dict[str, Any]:
    template_meta = template.get("metadata") or {}
    spec = copy.deepcopy(template.get("spec") or {})
    if extra_volumes:
        spec["volumes"] = [*(spec.get("volumes") or []), *extra_volumes]
    spec["nodeName"] = NODE_NAME
    if hostname:
        spec["hostname"] = hostname
    if subdomain:
        spec["subdomain"] = subdomain
    meta: dict[str, Any] = {"namespace": namespace, "labels": {**(template_meta.get("labels") or {}), **labels}}
    if name.endswith("-"):
        meta["generateName"] = name
    else:
        meta["name"] = name
    if template_meta.get("annotations"):
        meta["annotations"] = dict(template_meta["annotations"])
    if owner is not None:
        meta["ownerReferences"] = [owner_reference(owner)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def _started_at(pod: dict[str, Any]) -> float | None:
    stamp = (pod.get("status") or {}).get("startTime")
    if not stamp:
        return None
    return dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp()


def starting_status(spec: dict[str, Any], stamp: str) -> dict[str, Any]:
    """Scheduled, its images being pulled: what the kubelet reports before the containers run."""
    waiting = {"waiting": {"reason": "ContainerCreating"}}
    return {
        "phase": "Pending",
        "qosClass": "BestEffort",
        "hostIP": "10.0.0.10",
        "startTime": stamp,
        "conditions": [
            _condition("PodScheduled", True, stamp),
            _condition("Initialized", True, stamp),
            _condition("Ready", False, stamp, "ContainersNotReady", "containers with unready status"),
        ],
        "containerStatuses": [
            {"name": c.get("name", ""), "image": c.get("image", ""), "imageID": "", "ready": False,
             "started": False, "restartCount": 0, "state": waiting}
            for c in spec.get("containers") or []
        ],
    }  # fmt: skip


def _scheduled_message(pod: dict[str, Any]) -> str:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            return str(cond.get("message", ""))
    return ""


def _wanted_status(store: ObjectStore, pod: dict[str, Any]) -> dict[str, Any] | None:
    """The status a pod that should run has now, or None when its current one stands."""
    spec, status = pod["spec"], pod.get("status") or {}
    if not claims_bound(store, pod["metadata"]["namespace"], spec):
        return pod_status(spec, "Pending") if status.get("phase") != "Pending" or status.get("podIP") else None
    profile = store.profile
    if status.get("phase") == "Running" and is_ready(pod):
        return None
    if profile.realistic and _started_at(pod) is None:
        missing = insufficient(store, pod)
        if missing:
            message = unschedulable_message(missing)
            if _scheduled_message(pod) == message:
                return None
            if "uid" in pod["metadata"]:
                record_event(store, pod, "FailedScheduling", message, "Warning", "default-scheduler")
            return {**pod_status(spec, "Pending"), "conditions": [
                _condition("PodScheduled", False, now(), "Unschedulable", message)]}  # fmt: skip
    if profile.pod_start_seconds > 0:
        started = _started_at(pod)
        if started is None:
            return starting_status(spec, now())
        if time.time() - started < profile.pod_start_seconds:
            return None
    return pod_status(spec, "Running", status.get("podIP") or next_pod_ip())


def create_pod(store: ObjectStore, pod: dict[str, Any], phase: str = "Running") -> dict[str, Any]:
    """Create `pod` with the status it would reach (Pending while its claims are unbound, it does not fit the
    node's capacity or, with a pod start time, while it starts)."""
    if phase != "Running":
        pod["status"] = pod_status(pod["spec"], phase, next_pod_ip())
        return store.create("v1", "pods", pod)
    pod["status"] = {}
    pod["status"] = _wanted_status(store, pod) or pod_status(pod["spec"], "Pending")
    created = store.create("v1", "pods", pod)
    if _scheduled_message(created) and store.profile.realistic:
        record_event(store, created, "FailedScheduling", _scheduled_message(created), "Warning", "default-scheduler")
    return created


def sync_pod(store: ObjectStore, pod: dict[str, Any]) -> dict[str, Any]:
    """Move a pod between Pending and Running as its claims get bound or lost, room frees up or its start ends."""
    status = pod.get("status") or {}
    phase = status.get("phase", "Pending")
    if phase in ("Succeeded", "Failed") or pod["metadata"].get("deletionTimestamp"):
        return pod
    wanted = _wanted_status(store, pod)
    if wanted is None:
        return pod
    pod = {**pod, "status": wanted}
    pod["metadata"] = {k: v for k, v in pod["metadata"].items() if k != "resourceVersion"}
    return store.replace_status("v1", "pods", pod)
