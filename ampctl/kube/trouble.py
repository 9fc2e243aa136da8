"""Causes that keep a release from becoming ready, read from its namespace's pods, claims and events (pure: the
objects are handed in as the API server gives them).

What each cause looks like, with its source:
- a claim Pending that nothing provisions: the PersistentVolume controller's events FailedBinding ("no persistent
  volumes available for this claim and no storage class is set"), ProvisioningFailed, or ExternalProvisioning
  ("Waiting for a volume to be created either by the external provisioner ...") for as long as no provisioner acts
  (kubernetes/kubernetes pkg/controller/volume/persistentvolume/pv_controller.go);
- a pod the scheduler cannot place: condition PodScheduled False, reason Unschedulable, message "0/N nodes are
  available: N Insufficient cpu, ..." (pkg/scheduler/framework/types.go FitError; noderesources/fit.go);
- an image that cannot be pulled: a container waiting with reason ErrImagePull or ImagePullBackOff (kubelet,
  pkg/kubelet/images/types.go);
- a crash loop: a container waiting with reason CrashLoopBackOff (pkg/kubelet/kuberuntime/kuberuntime_manager.go).
A pod an autoscaler is adding a node for is waiting, not stuck: Karpenter (and EKS Auto Mode, which runs it) records
"Nominated" on it (kubernetes-sigs/karpenter pkg/controllers/provisioning/scheduling/events.go, NominatePodEvent),
the Cluster Autoscaler "TriggeredScaleUp" (kubernetes/autoscaler cluster-autoscaler: Recorder.Eventf(pod, Normal,
"TriggeredScaleUp", "pod triggered scale-up: ...") once its scale-up is under way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PVC_REASONS = ("FailedBinding", "ProvisioningFailed", "ExternalProvisioning")
PULL_REASONS = ("ErrImagePull", "ImagePullBackOff")
SCALING_UP = ("Nominated", "TriggeredScaleUp")
_INSUFFICIENT = re.compile(r"Insufficient ([a-z0-9./-]+)")


@dataclass(frozen=True)
class Cause:
    key: str  # what identifies it across polls (kind/name/reason)
    reason: str  # FailedScheduling, ImagePullBackOff, CrashLoopBackOff, or the claim's event reason
    what: str  # the object: "pod kubecost/x", "claim kubecost/y"
    message: str
    fix: str
    pod: str | None = None  # a crash loop's pod (its logs are read when reported)
    container: str | None = None


def _latest_events(events: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """The newest event per object of `kind`, by name."""
    newest: dict[str, dict[str, Any]] = {}
    for event in events:
        involved = event.get("involvedObject") or {}
        if involved.get("kind") != kind:
            continue
        stamp = str(event.get("lastTimestamp") or event.get("eventTime") or "")
        name = str(involved.get("name"))
        if name not in newest or stamp >= str(newest[name].get("lastTimestamp") or newest[name].get("eventTime")):
            newest[name] = event
    return newest


def claim_causes(claims: list[dict[str, Any]], events: list[dict[str, Any]]) -> list[Cause]:
    latest = _latest_events(events, "PersistentVolumeClaim")
    found = []
    for claim in claims:
        meta = claim["metadata"]
        if (claim.get("status") or {}).get("phase") != "Pending":
            continue
        event = latest.get(meta["name"])
        if event is None or event.get("reason") not in PVC_REASONS:
            continue
        cls = (claim.get("spec") or {}).get("storageClassName") or "none"
        found.append(Cause(
            key=f"pvc/{meta['name']}/{event['reason']}", reason=str(event["reason"]),
            what=f"claim {meta['namespace']}/{meta['name']} (StorageClass {cls})", message=str(event.get("message")),
            fix="give the cluster a provisioner: --install-ebs-csi-driver, --storage-class NAME of a class that "
            "provisions, or on EKS Auto Mode --create-storage-class",
        ))  # fmt: skip
    return found


def _requests(pod: dict[str, Any]) -> str:
    asked: dict[str, str] = {}
    for container in (pod.get("spec") or {}).get("containers") or []:
        for resource, value in ((container.get("resources") or {}).get("requests") or {}).items():
            if resource in ("cpu", "memory"):
                asked.setdefault(resource, "")
                asked[resource] += ("+" if asked[resource] else "") + str(value)
    return ", ".join(f"{r} {v}" for r, v in sorted(asked.items())) or "no requests"


def pod_causes(pods: list[dict[str, Any]], events: list[dict[str, Any]] | None = None) -> list[Cause]:
    """`events`: the namespace's, to tell a pod an autoscaler is making room for from one that will not fit."""
    latest = _latest_events(events or [], "Pod")
    awaited = {name for name, e in latest.items() if e.get("reason") in SCALING_UP}
    found = []
    for pod in pods:
        meta, status = pod["metadata"], pod.get("status") or {}
        where = f"pod {meta['namespace']}/{meta['name']}"
        for cond in status.get("conditions") or []:
            message = str(cond.get("message") or "")
            if (
                meta["name"] not in awaited
                and cond.get("type") == "PodScheduled"
                and cond.get("reason") == "Unschedulable"
                and "Insufficient" in message
            ):
                missing = sorted({m.rstrip(".") for m in _INSUFFICIENT.findall(message)})
                found.append(Cause(
                    key=f"pod/{meta['name']}/FailedScheduling", reason="FailedScheduling", what=where,
                    message=f"{message} (missing {', '.join(missing)}; the pod requests {_requests(pod)})",
                    fix="add nodes or larger ones (or let Karpenter / EKS Auto Mode add them), or lower the "
                    "chart's requests with -f/--set",
                ))  # fmt: skip
        for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
            waiting = (cs.get("state") or {}).get("waiting") or {}
            reason = str(waiting.get("reason") or "")
            if reason in PULL_REASONS:
                found.append(Cause(
                    key=f"pod/{meta['name']}/{cs.get('name')}/pull", reason=reason,
                    what=f"{where} container {cs.get('name')} (image {cs.get('image')})",
                    message=str(waiting.get("message") or reason),
                    fix="let the nodes reach the image registry (a private cluster needs a route or a VPC endpoint, "
                    "or a pull-through cache with the image set by -f/--set)",
                ))  # fmt: skip
            elif reason == "CrashLoopBackOff":
                found.append(Cause(
                    key=f"pod/{meta['name']}/{cs.get('name')}/crash", reason=reason,
                    what=f"{where} container {cs.get('name')}",
                    message=str(waiting.get("message") or f"restarted {cs.get('restartCount', 0)} times"),
                    fix=f"read its log: kubectl logs -n {meta['namespace']} {meta['name']} -c {cs.get('name')} "
                    "--previous",
                    pod=str(meta["name"]), container=str(cs.get("name")),
                ))  # fmt: skip
    return found
