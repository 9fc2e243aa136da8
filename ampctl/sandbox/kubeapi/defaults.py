"""The objects a fresh cluster starts with."""

from __future__ import annotations

import zlib
from typing import Any

from ampctl.sandbox.kubeapi.profile import LEGACY, ClusterProfile

KUBE_VERSION = "v1.31.0"
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
NODE_NAME = "sandbox-node"


def default_service_account(namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": namespace}}


# A small node: a t3.nano (2 vCPU, 0.5 GiB). Allocatable as the EKS AMIs compute it (assumption, from
# awslabs/amazon-eks-ami's kubelet configuration: kube-reserved memory 255Mi + 11Mi per pod, 4 pods on a t3.nano,
# and 100Mi eviction threshold; kube-reserved cpu 70m for 2 cores): 1930m cpu, 113Mi memory. Too small for
# Kubecost 2.x with ampctl's values (its pods request about 410Mi in all); a t3.micro's 625Mi would hold them.
SMALL_NODE = ("t3.nano", {"cpu": "2", "memory": "512Mi", "pods": "4", "ephemeral-storage": "20Gi"},
              {"cpu": "1930m", "memory": "113Mi", "pods": "4", "ephemeral-storage": "18Gi"})  # fmt: skip


def node(cluster: str, small: bool = False) -> dict[str, Any]:
    resources = {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    instance, capacity, allocatable = ("m5.xlarge", resources, resources) if not small else SMALL_NODE
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "labels": {
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": instance,
                "topology.kubernetes.io/zone": "sandbox-1a",
                "alpha.eksctl.io/cluster-name": cluster,
            },
        },
        "spec": {"providerID": f"aws:///sandbox-1a/i-{zlib.crc32(cluster.encode()):012d}"},
        "status": {
            "capacity": capacity,
            "allocatable": allocatable,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                }
            ],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.10"}, {"type": "Hostname", "address": NODE_NAME}],
            "nodeInfo": {
                "kubeletVersion": KUBE_VERSION,
                "kubeProxyVersion": KUBE_VERSION,
                "containerRuntimeVersion": "containerd://1.7.20",
                "operatingSystem": "linux",
                "architecture": "amd64",
                "osImage": "Amazon Linux 2023",
            },
        },
    }


def gp2(default: bool) -> dict[str, Any]:
    """The `gp2` class EKS creates. Up to Kubernetes 1.29 EKS marked it the default; new clusters on 1.30 and later
    get it without the default annotation (EKS User Guide, release notes for Kubernetes 1.30 on standard support;
    the page's exact wording was not read here, the change is reported e.g. by SAS Communities, "Amazon EKS 1.30 no
    longer assigns a default storage class"). Assumption: Auto Mode clusters get the same class; it cannot provision
    there either way (no EBS CSI driver runs)."""
    annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "gp2", "annotations": annotations},
        "provisioner": "kubernetes.io/aws-ebs",
        "parameters": {"type": "gp2", "fsType": "ext4"},
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
    }


# An old-style cluster runs the EBS CSI driver itself: on EKS, since CSI migration (Kubernetes 1.23), the in-tree
# `kubernetes.io/aws-ebs` provisioner of `gp2` is served by the EBS CSI driver only (EKS User Guide, "Amazon EBS CSI
# driver": "the in-tree plugin ... migrated to the EBS CSI driver"). Its controller as the driver's Helm chart names it
# (kubernetes-sigs/aws-ebs-csi-driver charts/aws-ebs-csi-driver/templates/controller.yaml: Deployment
# ebs-csi-controller, 2 replicas; templates/serviceaccount-csi-controller.yaml: ServiceAccount ebs-csi-controller-sa).
EBS_CSI_CONTROLLER = "ebs-csi-controller"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"


def ebs_csi_controller() -> list[tuple[str, str, dict[str, Any]]]:
    labels = {"app": EBS_CSI_CONTROLLER, "app.kubernetes.io/name": "aws-ebs-csi-driver"}
    meta = {"name": EBS_CSI_CONTROLLER, "namespace": "kube-system", "labels": labels}
    container = {"name": "ebs-plugin", "image": "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.44.0",
                 "resources": {"requests": {"cpu": "10m", "memory": "40Mi"}}}  # fmt: skip
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": EBS_CSI_CONTROLLER}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"serviceAccountName": EBS_CSI_SERVICE_ACCOUNT, "containers": [container]},
            },
        },
    }
    sa = {"apiVersion": "v1", "kind": "ServiceAccount",
          "metadata": {"name": EBS_CSI_SERVICE_ACCOUNT, "namespace": "kube-system", "labels": labels}}  # fmt: skip
    return [("v1", "serviceaccounts", sa), ("apps/v1", "deployments", deployment)]


def fresh_objects(cluster: str, profile: ClusterProfile = LEGACY) -> list[tuple[str, str, dict[str, Any]]]:
    """(group_version, plural, object) in creation order."""
    objects: list[tuple[str, str, dict[str, Any]]] = []
    for ns in DEFAULT_NAMESPACES:
        objects.append(("v1", "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))
        objects.append(("v1", "serviceaccounts", default_service_account(ns)))
    objects.append(("v1", "nodes", node(cluster, profile.small_nodes)))
    objects.append(("storage.k8s.io/v1", "storageclasses", gp2(default=not profile.realistic)))
    if not profile.realistic:
        objects += ebs_csi_controller()
    objects.append(
        (
            "v1",
            "services",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": "kubernetes",
                    "namespace": "default",
                    "labels": {"component": "apiserver", "provider": "kubernetes"},
                },
                "spec": {"ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}]},
            },
        )
    )
    return objects
