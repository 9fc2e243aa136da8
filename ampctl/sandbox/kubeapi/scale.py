"""The `scale` subresource of Deployments, ReplicaSets, StatefulSets and ReplicationControllers."""

from __future__ import annotations

from typing import Any

from ampctl.sandbox.kubeapi.cluster import Cluster
from ampctl.sandbox.kubeapi.messages import Request, Response, json_response
from ampctl.sandbox.kubeapi.patches import merge_patch, strategic_merge_patch
from ampctl.sandbox.kubeapi.routing import Target
from ampctl.sandbox.kubeapi.status import bad_request, method_not_allowed, not_found


def scale_of(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    selector = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
        },
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in selector.items()),
        },
    }


def handle(cluster: Cluster, req: Request, target: Target) -> Response:
    rt, store = target.rt, cluster.store
    assert target.name is not None
    obj = store.get(rt.group_version, rt.plural, target.namespace, target.name)
    if obj is None:
        raise not_found(rt, target.name)
    scale = scale_of(obj)
    if req.method == "GET":
        return json_response(200, scale)
    body = req.decode()
    if req.method == "PUT":
        wanted = body
    elif req.method == "PATCH" and req.content_type == "application/merge-patch+json":
        wanted = merge_patch(scale, body)
    elif req.method == "PATCH" and req.content_type == "application/strategic-merge-patch+json":
        wanted = strategic_merge_patch(scale, body)
    else:
        raise method_not_allowed()
    if not isinstance(wanted, dict) or not isinstance((wanted.get("spec") or {}).get("replicas", 0), int):
        raise bad_request("spec.replicas of a Scale must be an integer")
    replicas = (wanted.get("spec") or {}).get("replicas", 0)
    updated = store.replace(
        rt.group_version,
        rt.plural,
        {"metadata": {"name": target.name}, "spec": {"replicas": replicas}},
        namespace=target.namespace,
        name=target.name,
        subresource="scale",
        dry_run=req.dry_run,
    )
    return json_response(200, scale_of(updated))
