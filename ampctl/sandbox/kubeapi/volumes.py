"""Which claims a realistic cluster can bind: the claim's class (its own, else the default one), and whether that
class's provisioner runs. What the PersistentVolume controller says about a claim it cannot bind, as events.

Messages are the PV controller's (kubernetes/kubernetes pkg/controller/volume/persistentvolume/pv_controller.go):
"no persistent volumes available for this claim and no storage class is set" (FailedBinding), the class lookup's
NotFound error (ProvisioningFailed), and for an external provisioner "Waiting for a volume to be created either by
the external provisioner '<name>' or manually by the system administrator. If volume creation is delayed, please
verify that the provisioner is running and correctly registered." (ExternalProvisioning). A claim without a class
gets the default class once one exists (retroactive default StorageClass assignment, GA in Kubernetes 1.28).
"""

from __future__ import annotations

from typing import Any

from ampctl.sandbox.kubeapi.profile import MIGRATED, running_provisioners
from ampctl.sandbox.kubeapi.store import ObjectStore

DEFAULT_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
CONTROLLER = "persistentvolume-controller"


def default_class(store: ObjectStore) -> str | None:
    """The default StorageClass (the newest, when several are marked: Kubernetes 1.26 and later)."""
    marked = [
        sc
        for sc in store.list("storage.k8s.io/v1", "storageclasses")
        if (sc["metadata"].get("annotations") or {}).get(DEFAULT_ANNOTATION) == "true"
    ]
    marked.sort(key=lambda sc: (sc["metadata"].get("creationTimestamp", ""), int(sc["metadata"]["resourceVersion"])))
    return marked[-1]["metadata"]["name"] if marked else None


def why_unbound(store: ObjectStore, pvc: dict[str, Any]) -> tuple[str, str, str] | None:
    """(event type, reason, message) when the claim cannot be provisioned now; None when it can. May set the claim's
    class from the default, as the PV controller does."""
    spec = pvc.get("spec") or {}
    name = spec.get("storageClassName")
    if name is None:
        name = default_class(store)
        if name is None:
            return (
                "Normal",
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            )
        meta = pvc["metadata"]
        store.patch(
            "v1",
            "persistentvolumeclaims",
            meta["namespace"],
            meta["name"],
            "application/merge-patch+json",
            {"spec": {"storageClassName": name}},
        )
    sc = store.get("storage.k8s.io/v1", "storageclasses", None, name)
    if sc is None:
        return ("Warning", "ProvisioningFailed", f'storageclass.storage.k8s.io "{name}" not found')
    provisioner = str(sc.get("provisioner", ""))
    if provisioner in running_provisioners(store.profile, store.provisioners):
        return None
    shown = MIGRATED.get(provisioner, provisioner)
    return (
        "Normal",
        "ExternalProvisioning",
        f"Waiting for a volume to be created either by the external provisioner '{shown}' or manually by the system "
        "administrator. If volume creation is delayed, please verify that the provisioner is running and correctly "
        "registered.",
    )
