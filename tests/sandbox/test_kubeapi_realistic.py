"""Realistic clusters in the Kubernetes API emulator: no default class, claims bound only by a provisioner that
runs, pods scheduled against the node's capacity, a pod start time. Store and controller, without HTTP."""

from __future__ import annotations

import time
from typing import Any

from ampctl.sandbox.kubeapi import ObjectStore
from ampctl.sandbox.kubeapi.controller import Controller
from ampctl.sandbox.kubeapi.profile import EBS_CSI, ClusterProfile

MODERN = ClusterProfile(modern=True)


def cluster(profile: ClusterProfile) -> tuple[ObjectStore, Controller]:
    store = ObjectStore("c", profile=profile)
    return store, Controller(store)


def statefulset(name: str, cpu: str = "100m", memory: str = "64Mi", sc: str | None = None) -> dict[str, Any]:
    labels = {"app": name}
    vct: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "32Gi"}}}
    if sc:
        vct["storageClassName"] = sc
    container = {"name": "main", "image": "x:1", "resources": {"requests": {"cpu": cpu, "memory": memory}}}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": 1,
            "serviceName": name,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": vct}],
        },
    }


def events(store: ObjectStore, reason: str) -> list[str]:
    return [e["message"] for e in store.list("v1", "events") if e["reason"] == reason]


def phase(store: ObjectStore, kind: str, name: str) -> str:
    return str((store.get("v1", kind, "default", name) or {}).get("status", {}).get("phase"))


def test_legacy_clusters_keep_gp2_default_and_bind_at_once() -> None:
    store, _ = cluster(ClusterProfile())
    gp2 = store.get("storage.k8s.io/v1", "storageclasses", None, "gp2") or {}
    assert gp2["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    store.create("apps/v1", "statefulsets", statefulset("db"))
    assert phase(store, "persistentvolumeclaims", "data-db-0") == "Bound"
    assert phase(store, "pods", "db-0") == "Running"


def test_modern_claim_without_default_class_stays_pending_with_the_pv_controller_event() -> None:
    store, _ = cluster(MODERN)
    gp2 = store.get("storage.k8s.io/v1", "storageclasses", None, "gp2") or {}
    assert not gp2["metadata"].get("annotations")
    store.create("apps/v1", "statefulsets", statefulset("db"))
    assert phase(store, "persistentvolumeclaims", "data-db-0") == "Pending"
    assert phase(store, "pods", "db-0") == "Pending"
    assert events(store, "FailedBinding") == [
        "no persistent volumes available for this claim and no storage class is set"
    ]


def test_gp2_waits_for_the_ebs_csi_driver_and_binds_once_it_runs() -> None:
    store, controller = cluster(MODERN)
    store.create("apps/v1", "statefulsets", statefulset("db", sc="gp2"))
    assert phase(store, "persistentvolumeclaims", "data-db-0") == "Pending"
    assert "external provisioner 'ebs.csi.aws.com'" in events(store, "ExternalProvisioning")[0]
    store.provisioners = lambda: frozenset({EBS_CSI})
    controller.tick()
    assert phase(store, "persistentvolumeclaims", "data-db-0") == "Bound"
    assert phase(store, "pods", "db-0") == "Running"


def test_auto_mode_provisions_its_own_class_only() -> None:
    store, _ = cluster(ClusterProfile(modern=True, auto_mode=True))
    store.create(
        "storage.k8s.io/v1",
        "storageclasses",
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "auto-ebs-sc"},
         "provisioner": "ebs.csi.eks.amazonaws.com", "volumeBindingMode": "WaitForFirstConsumer"},
    )  # fmt: skip
    store.create("apps/v1", "statefulsets", statefulset("auto", sc="auto-ebs-sc"))
    store.create("apps/v1", "statefulsets", statefulset("old", sc="gp2"))
    assert phase(store, "persistentvolumeclaims", "data-auto-0") == "Bound"
    assert phase(store, "persistentvolumeclaims", "data-old-0") == "Pending"


def test_small_nodes_leave_pods_unschedulable_with_the_schedulers_message() -> None:
    store, _ = cluster(ClusterProfile(small_nodes=True))
    store.provisioners = lambda: frozenset({EBS_CSI})
    store.create("apps/v1", "statefulsets", statefulset("big", cpu="3", memory="2Gi", sc="gp2"))
    assert phase(store, "pods", "big-0") == "Pending"
    assert (
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: "
        "1 No preemption victims found for incoming pod."
    ) in events(store, "FailedScheduling")
    store.create("apps/v1", "statefulsets", statefulset("fits", cpu="500m", memory="64Mi", sc="gp2"))
    assert phase(store, "pods", "fits-0") == "Running"


def test_pod_start_time_keeps_pods_creating_until_it_passes() -> None:
    store, controller = cluster(ClusterProfile(pod_start_seconds=1.0))
    store.create("apps/v1", "statefulsets", statefulset("slow"))
    pod = store.get("v1", "pods", "default", "slow-0") or {}
    assert pod["status"]["phase"] == "Pending"
    assert pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating"
    time.sleep(1.1)
    controller.tick()
    assert phase(store, "pods", "slow-0") == "Running"
    sts = store.get("apps/v1", "statefulsets", "default", "slow") or {}
    assert sts["status"]["readyReplicas"] == 1
