"""The in-process controller: makes workloads ready, binds claims and creates default service accounts.

It runs synchronously in the thread that changed the store: by the time a create or update call
returns, the ReplicaSets, Pods and statuses it implies exist. Changes made while reconciling are
queued and handled by the outermost call, one at a time.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import ampctl.sandbox.kubeapi.crds as crds
import ampctl.sandbox.kubeapi.deployments as deployments
import ampctl.sandbox.kubeapi.volumes as volumes
import ampctl.sandbox.kubeapi.workloads as workloads
from ampctl.sandbox.kubeapi.defaults import default_service_account
from ampctl.sandbox.kubeapi.objects import clone
from ampctl.sandbox.kubeapi.pods import controller_of, sync_pod
from ampctl.sandbox.kubeapi.scheduling import record_event
from ampctl.sandbox.kubeapi.status import ApiError
from ampctl.sandbox.kubeapi.store import ObjectStore

log = logging.getLogger(__name__)

Item = tuple[str, str, str, str, str]  # (event, group_version, plural, namespace, name)
Reconciler = Callable[[ObjectStore, dict[str, Any]], None]
RECONCILERS: dict[tuple[str, str], Reconciler] = {
    ("apps/v1", "deployments"): deployments.reconcile_deployment,
    ("apps/v1", "replicasets"): deployments.reconcile_replicaset,
    ("apps/v1", "statefulsets"): workloads.reconcile_statefulset,
    ("apps/v1", "daemonsets"): workloads.reconcile_daemonset,
    ("batch/v1", "jobs"): workloads.reconcile_job,
}
OWNER_KINDS = {
    "ReplicaSet": ("apps/v1", "replicasets"),
    "StatefulSet": ("apps/v1", "statefulsets"),
    "DaemonSet": ("apps/v1", "daemonsets"),
    "Job": ("batch/v1", "jobs"),
    "Deployment": ("apps/v1", "deployments"),
}


class Controller:
    MAX_STEPS = 100_000

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._lock = threading.RLock()
        self._queue: OrderedDict[Item, dict[str, Any]] = OrderedDict()
        self._draining = False
        self._pvc_reasons: dict[str, str] = {}  # claim uid -> the last reason recorded as an event
        store.subscribe(self.on_change)

    def tick(self) -> None:
        """What time alone changes: a provisioner that started, a pod that finished starting or now fits."""
        for pvc in self.store.list("v1", "persistentvolumeclaims"):
            if (pvc.get("status") or {}).get("phase") != "Bound":
                self.on_change("MODIFIED", "v1", "persistentvolumeclaims", pvc)
        namespaces = {
            p["metadata"]["namespace"]
            for p in self.store.list("v1", "pods")
            if (p.get("status") or {}).get("phase") == "Pending"
        }
        with self._lock:
            for namespace in sorted(namespaces):
                self._resync_namespace(namespace)

    def set_pvc_binding(self, enabled: bool) -> None:
        self.store.pvc_binding = enabled
        if enabled:
            for pvc in self.store.list("v1", "persistentvolumeclaims"):
                self.on_change("MODIFIED", "v1", "persistentvolumeclaims", pvc)

    def on_change(self, event: str, group_version: str, plural: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        item = (event, group_version, plural, meta.get("namespace", ""), meta.get("name", ""))
        with self._lock:
            self._queue.pop(item, None)
            self._queue[item] = obj
            if self._draining:
                return
            self._draining = True
            try:
                self._drain()
            finally:
                self._draining = False

    def _drain(self) -> None:
        steps = 0
        while self._queue:
            steps += 1
            if steps > self.MAX_STEPS:
                log.error("controller gave up after %d steps; %d changes dropped", self.MAX_STEPS, len(self._queue))
                self._queue.clear()
                return
            key, snapshot = self._queue.popitem(last=False)
            try:
                self._handle(key, snapshot)
            except ApiError as exc:
                log.debug("reconcile of %s stopped: %s", key, exc)
            except Exception:
                log.exception("reconcile of %s failed", key)

    def _current(self, group_version: str, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self.store.get(group_version, plural, namespace or None, name)

    def _handle(self, item: Item, snapshot: dict[str, Any]) -> None:
        event, group_version, plural, namespace, name = item
        if event == "DELETED":
            if plural == "pods":
                self._reconcile_owner(snapshot)
            return
        if (group_version, plural) in RECONCILERS:
            obj = self._current(group_version, plural, namespace, name)
            if obj is None:
                return
            RECONCILERS[(group_version, plural)](self.store, obj)
            if plural == "replicasets":
                self._reconcile_owner(obj)
        elif (group_version, plural) == (crds.GROUP_VERSION, crds.PLURAL):
            crd = self._current(group_version, plural, namespace, name)
            if crd is not None and not crd["metadata"].get("deletionTimestamp"):
                crds.establish(self.store, crd)
        elif (group_version, plural) == ("v1", "namespaces") and event == "ADDED":
            self._ensure_default_account(name)
        elif (group_version, plural) == ("v1", "serviceaccounts") and event == "ADDED":
            self._resync_namespace(namespace)
        elif (group_version, plural) == ("v1", "persistentvolumeclaims"):
            self._claim(namespace, name)
        elif (group_version, plural) == ("v1", "pods") and event == "ADDED":
            pod = self._current(group_version, plural, namespace, name)
            if pod is not None and controller_of(pod) is None:
                sync_pod(self.store, pod)

    def _reconcile_owner(self, obj: dict[str, Any]) -> None:
        owner = controller_of(obj)
        if owner is None or owner.get("kind") not in OWNER_KINDS:
            return
        group_version, plural = OWNER_KINDS[owner["kind"]]
        namespace = obj["metadata"].get("namespace", "")
        found = self._current(group_version, plural, namespace, owner.get("name", ""))
        if found is None or found["metadata"].get("uid") != owner.get("uid"):
            return
        RECONCILERS[(group_version, plural)](self.store, found)
        if plural == "replicasets":
            self._reconcile_owner(found)

    def _ensure_default_account(self, namespace: str) -> None:
        if self.store.get_raw("v1", "namespaces", None, namespace) is None:
            return
        if self.store.get_raw("v1", "serviceaccounts", namespace, "default") is None:
            try:
                self.store.create("v1", "serviceaccounts", default_service_account(namespace))
            except ApiError as exc:
                if exc.reason not in ("AlreadyExists", "NotFound"):
                    raise

    def _claim(self, namespace: str, name: str) -> None:
        pvc = self._current("v1", "persistentvolumeclaims", namespace, name)
        if pvc is None or pvc["metadata"].get("deletionTimestamp"):
            return
        if (pvc.get("status") or {}).get("phase") == "Bound":
            self._resync_namespace(namespace)
            return
        if not self.store.pvc_binding:
            return
        if self.store.profile.realistic:
            blocked = volumes.why_unbound(self.store, pvc)
            if blocked is not None:
                uid = pvc["metadata"].get("uid", "")
                if self._pvc_reasons.get(uid) != blocked[1]:
                    self._pvc_reasons[uid] = blocked[1]
                    record_event(self.store, pvc, blocked[1], blocked[2], blocked[0], volumes.CONTROLLER)
                return
        spec = pvc.get("spec") or {}
        volume = spec.get("volumeName") or f"pvc-{pvc['metadata']['uid']}"
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        self.store.patch(
            "v1",
            "persistentvolumeclaims",
            namespace,
            name,
            "application/merge-patch+json",
            {
                "metadata": {
                    "annotations": {
                        "pv.kubernetes.io/bind-completed": "yes",
                        "pv.kubernetes.io/bound-by-controller": "yes",
                    }
                },
                "spec": {"volumeName": volume},
            },
        )
        bound = self.store.get("v1", "persistentvolumeclaims", namespace, name)
        if bound is not None:
            bound["metadata"].pop("resourceVersion", None)
            bound["status"] = {
                "phase": "Bound",
                "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                "capacity": {"storage": storage},
            }
            self.store.replace_status("v1", "persistentvolumeclaims", bound)

    def _resync_namespace(self, namespace: str) -> None:
        """Reconcile the workloads of a namespace still waiting (a claim got bound or an account appeared)."""
        for group_version, plural in (
            ("apps/v1", "deployments"),
            ("apps/v1", "statefulsets"),
            ("apps/v1", "daemonsets"),
            ("batch/v1", "jobs"),
        ):
            waiting, _rv = self.store.list_raw(group_version, plural, namespace)
            for obj in [clone(o) for o in waiting if not settled(o)]:
                RECONCILERS[(group_version, plural)](self.store, obj)
        pods, _rv = self.store.list_raw("v1", "pods", namespace)
        for pod in [clone(p) for p in pods if (p.get("status") or {}).get("phase") == "Pending"]:
            if controller_of(pod) is None:
                sync_pod(self.store, pod)


def settled(obj: dict[str, Any]) -> bool:
    """Whether a workload has nothing left to wait for."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if obj["kind"] == "Job":
        return int(status.get("succeeded", 0)) >= int(spec.get("completions") or 1)
    if status.get("observedGeneration") != obj["metadata"].get("generation"):
        return False
    if obj["kind"] == "DaemonSet":
        return int(status.get("numberReady", 0)) >= 1
    return int(status.get("readyReplicas", 0)) == int(spec.get("replicas", 1))
