"""How the sandbox's AWS and Kubernetes halves meet for realistic clusters: each cluster's profile from the
configuration, and the EBS CSI driver add-on (an EKS API object) acting inside the cluster once it is ACTIVE."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ampctl.sandbox.config import SandboxConfig
from ampctl.sandbox.kubeapi.profile import EBS_CSI, ClusterProfile

if TYPE_CHECKING:
    from ampctl.sandbox.aws.emulator import AwsEmulator
    from ampctl.sandbox.kubeapi import KubeEmulator

ADDON_DEFAULT_CLASS = "ebs-csi-default-sc"


def profiles(config: SandboxConfig) -> dict[str, ClusterProfile]:
    out = {}
    for name in config.clusters:
        small = name in config.small_node_clusters
        out[name] = ClusterProfile(
            modern=config.modern or small,
            auto_mode=(config.modern or small) and name in config.auto_mode_clusters,
            small_nodes=small,
            pod_start_seconds=config.pod_start_seconds,
        )
    return out


def addon_default_class() -> dict[str, Any]:
    """kubernetes-sigs/aws-ebs-csi-driver charts/aws-ebs-csi-driver/templates/ebs-csi-default-sc.yaml."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": ADDON_DEFAULT_CLASS,
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": EBS_CSI,
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }


def connect(kube: KubeEmulator, aws: AwsEmulator) -> None:
    """Give each realistic cluster the EBS CSI driver's provisioner while the add-on can provision, and the add-on's
    default class while it is ACTIVE with `defaultStorageClass.enabled` (removed with the add-on)."""
    from ampctl.sandbox.aws import ebs_csi

    for name in kube.clusters:
        if not kube.profile(name).realistic:
            continue

        def running(cluster: str = name) -> frozenset[str]:
            return frozenset({EBS_CSI}) if ebs_csi.provisioning(aws, cluster) else frozenset()

        def tick(cluster: str = name) -> None:
            store = kube.store(cluster)
            config = aws.config
            active = aws.pod_identity.addon_status(config.account, config.region, cluster, ebs_csi.EBS_CSI_ADDON)
            present = store.get("storage.k8s.io/v1", "storageclasses", None, ADDON_DEFAULT_CLASS) is not None
            if active == "ACTIVE" and ebs_csi.default_class_requested(aws, cluster) and not present:
                store.create("storage.k8s.io/v1", "storageclasses", addon_default_class())
            elif active is None and present:
                store.delete("storage.k8s.io/v1", "storageclasses", None, ADDON_DEFAULT_CLASS)

        kube.set_provisioners(name, running, tick)
