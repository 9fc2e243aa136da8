"""Reconcilers for Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from ampctl.sandbox.kubeapi.admission import now
from ampctl.sandbox.kubeapi.pods import (
    build_pod,
    controller_of,
    create_pod,
    is_ready,
    owner_reference,
    sync_pod,
    template_hash,
)
from ampctl.sandbox.kubeapi.status import ApiError
from ampctl.sandbox.kubeapi.store import ObjectStore

REVISION = "deployment.kubernetes.io/revision"


def _owned(store: ObjectStore, owner: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    uid = owner["metadata"]["uid"]
    found: list[dict[str, Any]] = store.owned_by(uid)
    return [o for o in found if o["kind"] == kind and (controller_of(o) or {}).get("uid") == uid]


def _live_pods(store: ObjectStore, owner: dict[str, Any]) -> list[dict[str, Any]]:
    pods = [p for p in _owned(store, owner, "Pod") if not p["metadata"].get("deletionTimestamp")]
    return sorted(pods, key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"]))


def conditions(
    existing: list[dict[str, Any]] | None, wanted: list[tuple[str, bool, str, str]], with_update: bool = True
) -> list[dict[str, Any]]:
    """Conditions in order, keeping the timestamps of those that did not change."""
    stamp = now()
    before = {c.get("type"): c for c in existing or []}
    out = []
    for kind, status, reason, message in wanted:
        cond: dict[str, Any] = {
            "type": kind,
            "status": "True" if status else "False",
            "reason": reason,
            "message": message,
            "lastTransitionTime": stamp,
        }
        if with_update:
            cond["lastUpdateTime"] = stamp
        old = before.get(kind)
        if (
            old
            and old.get("status") == cond["status"]
            and old.get("reason") == reason
            and old.get("message") == message
        ):
            cond = old
        out.append(cond)
    return out


def write_status(store: ObjectStore, obj: dict[str, Any], status: dict[str, Any]) -> None:
    if obj.get("status") == status:
        return
    updated = {
        **obj,
        "metadata": {k: v for k, v in obj["metadata"].items() if k != "resourceVersion"},
        "status": status,
    }
    try:
        store.replace_status(obj["apiVersion"], _plural(obj["kind"]), updated)
    except ApiError as exc:
        if exc.code != 404:
            raise


def _plural(kind: str) -> str:
    return {
        "Deployment": "deployments",
        "ReplicaSet": "replicasets",
        "StatefulSet": "statefulsets",
        "DaemonSet": "daemonsets",
        "Job": "jobs",
    }[kind]


def _failure(exc: ApiError | None) -> list[tuple[str, bool, str, str]]:
    return [("ReplicaFailure", True, "FailedCreate", exc.message)] if exc else []


def reconcile_replicaset(store: ObjectStore, rs: dict[str, Any]) -> None:
    if rs["metadata"].get("deletionTimestamp"):
        return
    meta, spec = rs["metadata"], rs.get("spec") or {}
    desired = int(spec.get("replicas", 1))
    pods = [sync_pod(store, p) for p in _live_pods(store, rs)]
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
        _delete_quietly(store, "v1", "pods", extra)
    pods = pods[:desired]
    ready = sum(1 for p in pods if is_ready(p))
    status = {
        "replicas": len(pods),
        "fullyLabeledReplicas": len(pods),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": meta.get("generation", 1),
    }
    wanted = _failure(failure)
    if wanted:
        status["conditions"] = conditions((rs.get("status") or {}).get("conditions"), wanted, False)
    write_status(store, rs, status)


def _delete_quietly(store: ObjectStore, group_version: str, plural: str, obj: dict[str, Any]) -> None:
    try:
        store.delete(group_version, plural, obj["metadata"].get("namespace"), obj["metadata"]["name"])
    except ApiError as exc:
        if exc.code != 404:
            raise


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
    owned = _owned(store, dep, "ReplicaSet")
    current = next((rs for rs in owned if rs["metadata"]["name"] == name), None)
    revisions = [int((rs["metadata"].get("annotations") or {}).get(REVISION, "0")) for rs in owned]
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
        (rs for rs in owned if rs["metadata"]["name"] != name),
        key=lambda rs: int((rs["metadata"].get("annotations") or {}).get(REVISION, "0")),
    )
    keep = int(spec.get("revisionHistoryLimit", 10))
    for old in history[: max(len(history) - keep, 0)]:
        _delete_quietly(store, "apps/v1", "replicasets", old)
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
    sets = _owned(store, dep, "ReplicaSet")
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
    pods = {p["metadata"]["name"]: p for p in _live_pods(store, sts)}
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
            _delete_quietly(store, "v1", "pods", pod)
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
        _delete_quietly(store, "v1", "pods", extra)
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
        status["conditions"] = conditions(None, _failure(failure), False)
    write_status(store, sts, status)


def reconcile_daemonset(store: ObjectStore, ds: dict[str, Any]) -> None:
    meta, spec = ds["metadata"], ds.get("spec") or {}
    if meta.get("deletionTimestamp"):
        return
    template = spec.get("template") or {}
    revision = template_hash(template)
    pods = _live_pods(store, ds)
    for pod in pods:
        if (pod["metadata"].get("labels") or {}).get("controller-revision-hash") != revision:
            _delete_quietly(store, "v1", "pods", pod)
    pods = [
        sync_pod(store, p)
        for p in pods
        if (p["metadata"].get("labels") or {}).get("controller-revision-hash") == revision
    ]
    for extra in pods[1:]:
        _delete_quietly(store, "v1", "pods", extra)
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
    succeeded = sum(1 for p in _owned(store, job, "Pod") if (p.get("status") or {}).get("phase") == "Succeeded")
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
