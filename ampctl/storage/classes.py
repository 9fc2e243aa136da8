"""Whether a StorageClass can provision on a cluster, judged from facts read once (pure: no calls here).

The rules, with their sources:
- `ebs.csi.aws.com` is the Amazon EBS CSI driver's (EKS User Guide, "Store Kubernetes volumes with Amazon EBS");
  it provisions while the driver runs: the `aws-ebs-csi-driver` add-on ACTIVE (EKS API Reference, DescribeAddon,
  Addon.status), or the driver installed by the user (its Helm chart's controller is Deployment
  kube-system/ebs-csi-controller: kubernetes-sigs/aws-ebs-csi-driver charts/aws-ebs-csi-driver/templates/
  controller.yaml).
- `kubernetes.io/aws-ebs` (the `gp2` class EKS creates) is served by that same driver: CSI migration for AWS EBS is
  GA since Kubernetes 1.25 and the in-tree plugin was removed in 1.27 (kubernetes/kubernetes CHANGELOG-1.27).
- `ebs.csi.eks.amazonaws.com` is EKS Auto Mode's built-in block storage, on Auto Mode clusters only (EKS User Guide,
  "Create a storage class": "EKS Auto Mode does not create a StorageClass for you").
- Any other provisioner is not judged (EFS, FSx, a local-path provisioner...): accepted with a note.
- A claim without a class gets the default class (the `storageclass.kubernetes.io/is-default-class` annotation;
  Kubernetes docs, "Storage Classes", Default StorageClass); with none, it stays Pending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EBS_CSI = "ebs.csi.aws.com"
IN_TREE_EBS = "kubernetes.io/aws-ebs"
AUTO_MODE_EBS = "ebs.csi.eks.amazonaws.com"
DEFAULT_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
EBS_CSI_ADDON = "aws-ebs-csi-driver"
EBS_CSI_NAMESPACE = "kube-system"
EBS_CSI_CONTROLLER = "ebs-csi-controller"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
# The add-on's own default class with `defaultStorageClass.enabled` (add-on v1.31 and later; kubernetes-sigs/
# aws-ebs-csi-driver charts/aws-ebs-csi-driver/templates/ebs-csi-default-sc.yaml: ebs-csi-default-sc, default).
ADDON_DEFAULT_CLASS = "ebs-csi-default-sc"
AUTO_MODE_CLASS = "kubecost-auto-ebs"
IN_PROGRESS = frozenset({"CREATING", "UPDATING"})


def auto_mode_class() -> dict[str, Any]:
    """The class ampctl makes on Auto Mode: the EKS User Guide's example ("Create a storage class"), without its
    default annotation (ampctl sets it on Kubecost's claims only, and leaves the cluster's default alone)."""
    from ampctl.naming import managed_labels

    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": AUTO_MODE_CLASS, "labels": managed_labels()},
        "provisioner": AUTO_MODE_EBS,
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowedTopologies": [
            {"matchLabelExpressions": [{"key": "eks.amazonaws.com/compute-type", "values": ["auto"]}]}
        ],
        "parameters": {"type": "gp3", "encrypted": "true"},
    }


@dataclass(frozen=True)
class StorageFacts:
    classes: dict[str, str]  # StorageClass name -> provisioner
    default: str | None  # the default class (the newest of several marked)
    auto_mode: bool
    addon: dict[str, Any] | None  # aws-ebs-csi-driver as DescribeAddon gives it
    controller_ready: int  # ready replicas of a self-managed kube-system/ebs-csi-controller
    # what this run will make before the install: classes (name -> provisioner) and a driver ("add-on")
    coming: dict[str, str] = field(default_factory=dict)
    driver_coming: bool = False

    def driver(self) -> str | None:
        """How an EBS CSI driver runs (or will, before the install), None when it does not."""
        status = str((self.addon or {}).get("status", ""))
        if status == "ACTIVE":
            return "add-on ACTIVE"
        if self.controller_ready:
            return f"self-managed {EBS_CSI_NAMESPACE}/{EBS_CSI_CONTROLLER}, {self.controller_ready} ready"
        if status in IN_PROGRESS:
            return f"add-on {status}, waited for"
        if self.driver_coming:
            return "add-on installed by ampctl"
        return None


@dataclass(frozen=True)
class Verdict:
    ok: bool
    how: str  # what provisions the class, or why nothing does


def judge(facts: StorageFacts, name: str | None) -> Verdict:
    """Whether claims of class `name` (None: no class, the default's) can be provisioned."""
    if name is None:
        if facts.default is None:
            return Verdict(False, "the cluster has no default StorageClass")
        name = facts.default
    if name == "-":  # the charts' way to ask for storageClassName "" (a pre-created PersistentVolume only)
        return Verdict(True, "no class: binds only to a PersistentVolume made beforehand (not checked)")
    provisioner = facts.classes.get(name) or facts.coming.get(name)
    if provisioner is None:
        return Verdict(False, f"StorageClass {name} does not exist")
    if provisioner in (EBS_CSI, IN_TREE_EBS):
        how = facts.driver()
        via = "" if provisioner == EBS_CSI else " (in-tree kubernetes.io/aws-ebs, migrated to it)"
        if how is None:
            return Verdict(False, f"provisioner {provisioner} needs the EBS CSI driver{via}, and none runs")
        return Verdict(True, f"provisions through the EBS CSI driver{via} ({how})")
    if provisioner == AUTO_MODE_EBS:
        if facts.auto_mode:
            return Verdict(True, "provisions through EKS Auto Mode's block storage")
        return Verdict(False, f"provisioner {AUTO_MODE_EBS} is EKS Auto Mode's, and the cluster is not Auto Mode")
    return Verdict(True, f"provisioner {provisioner} (not checked by ampctl)")


def default_of(classes: list[dict[str, Any]]) -> str | None:
    """The default StorageClass: the newest of those marked (Kubernetes 1.26 and later pick the newest)."""
    marked = [c for c in classes if (c["metadata"].get("annotations") or {}).get(DEFAULT_ANNOTATION) == "true"]
    marked.sort(key=lambda c: str(c["metadata"].get("creationTimestamp", "")))
    return str(marked[-1]["metadata"]["name"]) if marked else None


def size_gi(sizes: list[str]) -> str:
    """The total of claim sizes written in Gi (as the charts write them)."""
    total = sum(int(s[:-2]) for s in sizes if s.endswith("Gi") and s[:-2].isdigit())
    return f"{total}Gi"
