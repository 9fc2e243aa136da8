"""The objects a fresh cluster starts with."""

from __future__ import annotations

import zlib
from typing import Any

KUBE_VERSION = "v1.31.0"
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
NODE_NAME = "sandbox-node"


def default_service_account(namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": namespace}}


def node(cluster: str) -> dict[str, Any]:
    resources = {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "labels": {
                "kubernetes.io/hostname": NODE_NAME,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": "m5.xlarge",
                "topology.kubernetes.io/zone": "sandbox-1a",
                "alpha.eksctl.io/cluster-name": cluster,
            },
        },
        "spec": {"providerID": f"aws:///sandbox-1a/i-{zlib.crc32(cluster.encode()):012d}"},
        "status": {
            "capacity": resources,
            "allocatable": resources,
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


def fresh_objects(cluster: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(group_version, plural, object) in creation order."""
    objects: list[tuple[str, str, dict[str, Any]]] = []
    for ns in DEFAULT_NAMESPACES:
        objects.append(("v1", "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))
        objects.append(("v1", "serviceaccounts", default_service_account(ns)))
    objects.append(("v1", "nodes", node(cluster)))
    objects.append(
        (
            "storage.k8s.io/v1",
            "storageclasses",
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {"name": "gp2", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
                "provisioner": "kubernetes.io/aws-ebs",
                "parameters": {"type": "gp2", "fsType": "ext4"},
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "WaitForFirstConsumer",
            },
        )
    )
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
