"""Reconcilers for Deployments and the ReplicaSets they roll out."""

from __future__ import annotations

import copy
from typing import Any

from ampctl.sandbox.kubeapi.pods import build_pod, create_pod, is_ready, owner_reference, sync_pod, template_hash
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

REVISION = "deployment.kubernetes.io/revision"


def reconcile_replicaset(store: ObjectStore, rs: dict[str, Any]) -> None:
    if rs["metadata"].get("deletionTimestamp"):
        return
    meta, spec = rs["metadata"], rs.get("spec") or {}
    desired = int(spec.get("replicas", 1))
    pods = [sync_pod(store, p) for p in live_pods(store, rs)]
    failure: ApiError | None = None
    template = spec.get("template") or {}
    while len(pods) < desired:
        pod = build_pod(template, f"{meta['name']}-", meta["namespace"], rs, {})
        try:
            pods.append(create_pod(store, pod))
        except ApiError as exc:
            failure = exc
            break
    for extra in pods[desired:]:
        delete_quietly(store, "v1", "pods", extra)
    pods = pods[:desired]
    ready = sum(1 for p in pods if is_ready(p))
    status = {
        "replicas": len(pods),
        "fullyLabeledReplicas": len(pods),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": meta.get("generation", 1),
    }
    wanted = failure_conditions(failure)
    if wanted:
        status["conditions"] = conditions((rs.get("status") or {}).get("conditions"), wanted, False)
    write_status(store, rs, status)


def _max_unavailable(spec: dict[str, Any], replicas: int) -> int:
    value = ((spec.get("strategy") or {}).get("rollingUpdate") or {}).get("maxUnavailable", "25%")
    if isinstance(value, str) and value.endswith("%"):
        return int(replicas * int(value[:-1]) // 100)
    return int(value)


def reconcile_deployment(store: ObjectStore, dep: dict[str, Any]) -> None:
    meta, spec = dep["metadata"], dep.get("spec") or {}
    if meta.get("deletionTimestamp"):
        return
    replicas = int(spec.get("replicas", 1))
    template = copy.deepcopy(spec.get("template") or {})
    pod_hash = template_hash(template)
    name = f"{meta['name']}-{pod_hash}"
    sets = owned(store, dep, "ReplicaSet")
    current = next((rs for rs in sets if rs["metadata"]["name"] == name), None)
    revisions = [int((rs["metadata"].get("annotations") or {}).get(REVISION, "0")) for rs in sets]
    if current is None:
        revision = max(revisions, default=0) + 1
        labels = {**((template.get("metadata") or {}).get("labels") or {}), "pod-template-hash": pod_hash}
        template.setdefault("metadata", {})["labels"] = labels
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})["pod-template-hash"] = pod_hash
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "labels": labels,
                "annotations": {REVISION: str(revision), "deployment.kubernetes.io/desired-replicas": str(replicas)},
                "ownerReferences": [owner_reference(dep)],
            },
            "spec": {"replicas": replicas, "selector": selector, "template": template},
        }
        current = store.create("apps/v1", "replicasets", rs)
    else:
        revision = int((current["metadata"].get("annotations") or {}).get(REVISION, "1"))
        if (current.get("spec") or {}).get("replicas") != replicas:
            current = store.patch(
                "apps/v1",
                "replicasets",
                meta["namespace"],
                name,
                "application/merge-patch+json",
                {"spec": {"replicas": replicas}},
            )[0]
    history = sorted(
        (rs for rs in sets if rs["metadata"]["name"] != name),
        key=lambda rs: int((rs["metadata"].get("annotations") or {}).get(REVISION, "0")),
    )
    keep = int(spec.get("revisionHistoryLimit", 10))
    for old in history[: max(len(history) - keep, 0)]:
        delete_quietly(store, "apps/v1", "replicasets", old)
    for old in history[max(len(history) - keep, 0) :]:
        if (old.get("spec") or {}).get("replicas") != 0:
            old = store.patch(
                "apps/v1",
                "replicasets",
                meta["namespace"],
                old["metadata"]["name"],
                "application/merge-patch+json",
                {"spec": {"replicas": 0}},
            )[0]
        reconcile_replicaset(store, old)
    reconcile_replicaset(store, current)
    if (meta.get("annotations") or {}).get(REVISION) != str(revision):
        store.patch(
            "apps/v1",
            "deployments",
            meta["namespace"],
            meta["name"],
            "application/merge-patch+json",
            {"metadata": {"annotations": {REVISION: str(revision)}}},
        )
    _deployment_status(store, meta["namespace"], meta["name"], name, replicas)


def _deployment_status(store: ObjectStore, namespace: str, name: str, rs_name: str, replicas: int) -> None:
    dep = store.get("apps/v1", "deployments", namespace, name)
    if dep is None:
        return
    spec = dep.get("spec") or {}
    sets = owned(store, dep, "ReplicaSet")
    current = next((rs for rs in sets if rs["metadata"]["name"] == rs_name), None)
    cur = (current or {}).get("status") or {}
    total = sum(int((rs.get("status") or {}).get("replicas", 0)) for rs in sets)
    ready = sum(int((rs.get("status") or {}).get("readyReplicas", 0)) for rs in sets)
    updated = int(cur.get("replicas", 0))
    available = ready
    status: dict[str, Any] = {
        "observedGeneration": dep["metadata"].get("generation", 1),
        "replicas": total,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": available,
    }
    if replicas - available > 0:
        status["unavailableReplicas"] = replicas - available
    for key in ("readyReplicas", "availableReplicas", "updatedReplicas", "replicas"):
        if not status[key]:
            del status[key]
    minimum = available >= replicas - _max_unavailable(spec, replicas)
    done = updated == replicas and int(cur.get("readyReplicas", 0)) == replicas and total == replicas
    wanted = [
        (
            "Available",
            minimum,
            "MinimumReplicasAvailable" if minimum else "MinimumReplicasUnavailable",
            "Deployment has minimum availability." if minimum else "Deployment does not have minimum availability.",
        ),
        (
            "Progressing",
            True,
            "NewReplicaSetAvailable" if done else "ReplicaSetUpdated",
            f'ReplicaSet "{rs_name}" has successfully progressed.'
            if done
            else f'ReplicaSet "{rs_name}" is progressing.',
        ),
    ]
    for cond in cur.get("conditions") or []:
        if cond.get("type") == "ReplicaFailure":
            wanted.append(("ReplicaFailure", True, "FailedCreate", cond.get("message", "")))
    status["conditions"] = conditions((dep.get("status") or {}).get("conditions"), wanted)
    write_status(store, dep, status)
