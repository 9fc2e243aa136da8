"""Reconcilers for StatefulSets (with their volume claims), DaemonSets and Jobs."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from ampctl.sandbox.kubeapi.admission import now
from ampctl.sandbox.kubeapi.pods import build_pod, create_pod, is_ready, sync_pod, template_hash
from ampctl.sandbox.kubeapi.status import ApiError
from ampctl.sandbox.kubeapi.store import ObjectStore
from ampctl.sandbox.kubeapi.workload_status import (
    conditions,
    delete_quietly,
    failure_conditions,
    live_pods,
    owned,
    write_status,
)


def reconcile_statefulset(store: ObjectStore, sts: dict[str, Any]) -> None:
    meta, spec = sts["metadata"], sts.get("spec") or {}
    if meta.get("deletionTimestamp"):
        return
    name, namespace = meta["name"], meta["namespace"]
    replicas = int(spec.get("replicas", 1))
    template = spec.get("template") or {}
    revision = f"{name}-{template_hash(template)}"
    claim_templates = spec.get("volumeClaimTemplates") or []
    failure: ApiError | None = None
    pods = {p["metadata"]["name"]: p for p in live_pods(store, sts)}
    for index in range(replicas):
        pod_name = f"{name}-{index}"
        volumes = []
        for vct in claim_templates:
            vct_name = (vct.get("metadata") or {}).get("name", "data")
            claim = f"{vct_name}-{pod_name}"
            volumes.append({"name": vct_name, "persistentVolumeClaim": {"claimName": claim}})
            if store.get_raw("v1", "persistentvolumeclaims", namespace, claim) is None:
                labels = dict((spec.get("selector") or {}).get("matchLabels") or {})
                store.create(
                    "v1",
                    "persistentvolumeclaims",
                    {
                        "apiVersion": "v1",
                        "kind": "PersistentVolumeClaim",
                        "metadata": {"name": claim, "namespace": namespace, "labels": labels},
                        "spec": copy.deepcopy(vct.get("spec") or {}),
                    },
                )
        pod = pods.pop(pod_name, None)
        if pod is not None and (pod["metadata"].get("labels") or {}).get("controller-revision-hash") != revision:
            delete_quietly(store, "v1", "pods", pod)
            pod = None
        if pod is None and failure is None:
            labels = {
                "controller-revision-hash": revision,
                "statefulset.kubernetes.io/pod-name": pod_name,
                "apps.kubernetes.io/pod-index": str(index),
            }
            built = build_pod(
                template, pod_name, namespace, sts, labels, volumes, pod_name, spec.get("serviceName", "")
            )
            try:
                pods[pod_name] = create_pod(store, built)
            except ApiError as exc:
                failure = exc
        elif pod is not None:
            pods[pod_name] = sync_pod(store, pod)
    for extra in [p for n, p in pods.items() if n not in {f"{name}-{i}" for i in range(replicas)}]:
        delete_quietly(store, "v1", "pods", extra)
        pods.pop(extra["metadata"]["name"])
    ready = sum(1 for p in pods.values() if is_ready(p))
    status: dict[str, Any] = {
        "observedGeneration": meta.get("generation", 1),
        "replicas": len(pods),
        "readyReplicas": ready,
        "currentReplicas": len(pods),
        "updatedReplicas": len(pods),
        "availableReplicas": ready,
        "currentRevision": revision,
        "updateRevision": revision,
        "collisionCount": 0,
    }
    if failure:
        status["conditions"] = conditions(None, failure_conditions(failure), False)
    write_status(store, sts, status)


def reconcile_daemonset(store: ObjectStore, ds: dict[str, Any]) -> None:
    meta, spec = ds["metadata"], ds.get("spec") or {}
    if meta.get("deletionTimestamp"):
        return
    template = spec.get("template") or {}
    revision = template_hash(template)
    pods = live_pods(store, ds)
    for pod in pods:
        if (pod["metadata"].get("labels") or {}).get("controller-revision-hash") != revision:
            delete_quietly(store, "v1", "pods", pod)
    pods = [
        sync_pod(store, p)
        for p in pods
        if (p["metadata"].get("labels") or {}).get("controller-revision-hash") == revision
    ]
    for extra in pods[1:]:
        delete_quietly(store, "v1", "pods", extra)
    pods = pods[:1]
    if not pods:
        labels = {"controller-revision-hash": revision, "pod-template-generation": str(meta.get("generation", 1))}
        built = build_pod(template, f"{meta['name']}-", meta["namespace"], ds, labels)
        with contextlib.suppress(ApiError):
            pods.append(create_pod(store, built))
    ready = sum(1 for p in pods if is_ready(p))
    status = {
        "observedGeneration": meta.get("generation", 1),
        "desiredNumberScheduled": 1,
        "currentNumberScheduled": len(pods),
        "updatedNumberScheduled": len(pods),
        "numberReady": ready,
        "numberAvailable": ready,
        "numberMisscheduled": 0,
    }
    if ready < 1:
        status["numberUnavailable"] = 1
    write_status(store, ds, status)


def reconcile_job(store: ObjectStore, job: dict[str, Any]) -> None:
    meta, spec = job["metadata"], job.get("spec") or {}
    status = job.get("status") or {}
    if meta.get("deletionTimestamp") or spec.get("suspend"):
        return
    completions = int(spec.get("completions") or 1)
    if int(status.get("succeeded", 0)) >= completions:
        return
    start = status.get("startTime") or now()
    succeeded = sum(1 for p in owned(store, job, "Pod") if (p.get("status") or {}).get("phase") == "Succeeded")
    while succeeded < completions:
        labels = {
            "job-name": meta["name"],
            "batch.kubernetes.io/job-name": meta["name"],
            "controller-uid": meta["uid"],
            "batch.kubernetes.io/controller-uid": meta["uid"],
        }
        built = build_pod(spec.get("template") or {}, f"{meta['name']}-", meta["namespace"], job, labels)
        try:
            create_pod(store, built, phase="Succeeded")
        except ApiError:
            return
        succeeded += 1
    done = now()
    write_status(
        store,
        job,
        {
            "startTime": start,
            "completionTime": done,
            "succeeded": succeeded,
            "active": 0,
            "ready": 0,
            "terminating": 0,
            "uncountedTerminatedPods": {},
            "conditions": conditions(
                status.get("conditions"),
                [
                    ("SuccessCriteriaMet", True, "CompletionsReached", "Reached expected number of succeeded pods"),
                    ("Complete", True, "CompletionsReached", "Reached expected number of succeeded pods"),
                ],
                False,
            ),
        },
    )
