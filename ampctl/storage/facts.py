"""The storage facts of one cluster, read once: its StorageClasses, whether it is EKS Auto Mode, the EBS CSI
driver add-on and a self-managed driver. Read-only calls, shared by provisioning and doctor."""

from __future__ import annotations

import json
from typing import Any

from ampctl.storage import classes as sc


def storage_classes(kube: Any) -> list[dict[str, Any]]:
    """Every StorageClass, as the API server gives them."""
    from kubernetes import client

    api = client.StorageV1Api(kube.api)
    answer = kube.call("list storageclasses", api.list_storage_class, _preload_content=False)
    return list(json.loads(answer.data).get("items") or [])


def storage_class(kube: Any, name: str) -> dict[str, Any] | None:
    return next((c for c in storage_classes(kube) if c["metadata"]["name"] == name), None)


def read(eks: Any, kube: Any, cluster: str, described: dict[str, Any]) -> sc.StorageFacts:
    """`described`: the cluster as eks:DescribeCluster gave it."""
    from ampctl.aws import eks as eksapi
    from ampctl.pool import together

    found: dict[str, Any] = {}
    together([
        lambda: found.update(addon=eksapi.addon(eks, cluster, sc.EBS_CSI_ADDON)),
        lambda: found.update(classes=storage_classes(kube)),
        lambda: found.update(controller=kube.read(
            "deployment", sc.EBS_CSI_NAMESPACE, sc.EBS_CSI_CONTROLLER, group="apps")),
    ])  # fmt: skip
    listed = found["classes"]
    return sc.StorageFacts(
        classes={c["metadata"]["name"]: str(c.get("provisioner", "")) for c in listed},
        default=sc.default_of(listed),
        auto_mode=eksapi.is_auto_mode(described),
        addon=found["addon"],
        controller_ready=int(((found["controller"] or {}).get("status") or {}).get("readyReplicas") or 0),
    )
