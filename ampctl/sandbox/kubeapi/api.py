"""The REST verbs on resource URLs: get, list, watch, create, update, patch, delete, and subresources."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import ampctl.sandbox.kubeapi.proxy as proxy
import ampctl.sandbox.kubeapi.scale as scale
import ampctl.sandbox.kubeapi.tables as tables
from ampctl.sandbox.kubeapi.cluster import Cluster
from ampctl.sandbox.kubeapi.logs import pick_container
from ampctl.sandbox.kubeapi.messages import Request, Response, json_response
from ampctl.sandbox.kubeapi.objects import PATCH_TYPES
from ampctl.sandbox.kubeapi.resources import REVIEWS
from ampctl.sandbox.kubeapi.routing import Target
from ampctl.sandbox.kubeapi.selectors import parse_field_selector, parse_label_selector
from ampctl.sandbox.kubeapi.status import ApiError, bad_request, method_not_allowed, not_found
from ampctl.sandbox.kubeapi.watch import Change, Watcher

MAX_WATCH_SECONDS = 3600


@dataclass
class WatchStream:
    cluster: Cluster
    watcher: Watcher
    initial: list[Change]
    resource_version: int
    timeout: float
    initial_events_end: bool  # send the bookmark that ends sendInitialEvents
    error: ApiError | None = None


def handle(cluster: Cluster, req: Request, target: Target) -> Response | WatchStream:
    method, sub = req.method, target.subresource
    if sub == "proxy":
        return _proxy(cluster, req, target)
    if sub == "log":
        if method != "GET":
            raise method_not_allowed()
        return _log(cluster, req, target)
    if target.name is None:
        if method == "GET":
            return _watch(cluster, req, target) if _is_watch(req, target) else _list(cluster, req, target)
        if method == "POST":
            return _create(cluster, req, target)
        if method == "DELETE":
            return _delete_collection(cluster, req, target)
        raise method_not_allowed()
    if method == "GET" and _is_watch(req, target):
        return _watch(cluster, req, target)
    if sub == "scale":
        return scale.handle(cluster, req, target)
    if method == "GET":
        obj = cluster.store.get_raw(target.rt.group_version, target.rt.plural, target.namespace, target.name)
        if obj is None:
            raise not_found(target.rt, target.name)
        return _object(req, target, 200, obj)
    if method == "PUT":
        obj = cluster.store.replace(
            target.rt.group_version,
            target.rt.plural,
            req.decode(),
            namespace=target.namespace,
            name=target.name,
            subresource=sub,
            dry_run=req.dry_run,
        )
        return _object(req, target, 200, obj)
    if method == "PATCH":
        return _patch(cluster, req, target)
    if method == "DELETE" and sub is None:
        return _delete(cluster, req, target)
    raise method_not_allowed()


def _object(req: Request, target: Target, status: int, obj: dict[str, Any]) -> Response:
    if tables.wants_table(req.headers.get("accept", "")):
        return json_response(status, tables.table(target.rt, [obj]))
    return json_response(status, obj)


def _is_watch(req: Request, target: Target) -> bool:
    return target.legacy_watch or req.flag("watch")


def _list(cluster: Cluster, req: Request, target: Target) -> Response:
    rt = target.rt
    items: list[dict[str, Any]]
    items, rv = cluster.store.list_raw(
        rt.group_version, rt.plural, target.namespace, req.param("labelSelector"), req.param("fieldSelector")
    )
    start = req.param("continue")
    if start:
        try:
            after = tuple(json.loads(base64.urlsafe_b64decode(start.encode())))
        except ValueError as exc:
            raise bad_request("invalid continue token") from exc
        items = [o for o in items if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > after]
    meta: dict[str, Any] = {"resourceVersion": rv}
    limit = req.int_param("limit")
    if limit and len(items) > limit:
        last = items[limit - 1]["metadata"]
        token = json.dumps([last.get("namespace", ""), last["name"]]).encode()
        meta["continue"] = base64.urlsafe_b64encode(token).decode()
        meta["remainingItemCount"] = len(items) - limit
        items = items[:limit]
    if tables.wants_table(req.headers.get("accept", "")):
        return json_response(200, tables.table(rt, items, meta))
    return json_response(200, {"kind": rt.list_kind, "apiVersion": rt.group_version, "metadata": meta, "items": items})


def _watch(cluster: Cluster, req: Request, target: Target) -> WatchStream:
    fields = req.param("fieldSelector") or ""
    if target.name:
        fields = ",".join(f for f in (fields, f"metadata.name={target.name}") if f)
    watcher = Watcher(
        target.rt.group_version,
        target.rt.plural,
        target.namespace,
        parse_label_selector(req.param("labelSelector")),
        parse_field_selector(fields),
    )
    timeout = req.int_param("timeoutSeconds") or MAX_WATCH_SECONDS
    send_initial = req.flag("sendInitialEvents")
    try:
        initial, rv = cluster.store.watch(watcher, req.param("resourceVersion"), send_initial)
    except ApiError as exc:
        if exc.code != 410:
            raise
        return WatchStream(cluster, watcher, [], 0, 0, False, exc)
    return WatchStream(
        cluster, watcher, initial, rv, min(timeout, MAX_WATCH_SECONDS), send_initial and req.flag("allowWatchBookmarks")
    )


def _create(cluster: Cluster, req: Request, target: Target) -> Response:
    if target.rt.namespaced and not target.namespace:
        raise method_not_allowed()
    if target.rt.kind in REVIEWS:
        review = req.decode()
        if not isinstance(review, dict):
            raise bad_request("the body of the request must be a JSON object")
        review.update(apiVersion=target.rt.group_version, kind=target.rt.kind)
        review["status"] = {"allowed": True, "reason": "the sandbox allows every request"}
        return json_response(201, review)
    obj = cluster.store.create(
        target.rt.group_version, target.rt.plural, req.decode(), namespace=target.namespace, dry_run=req.dry_run
    )
    return _object(req, target, 201, obj)


def _patch(cluster: Cluster, req: Request, target: Target) -> Response:
    patch_type = req.content_type
    if patch_type not in PATCH_TYPES:
        raise ApiError(415, f"the server does not support the patch type {patch_type!r}", "UnsupportedMediaType")
    assert target.name is not None
    obj, created = cluster.store.patch(
        target.rt.group_version,
        target.rt.plural,
        target.namespace,
        target.name,
        patch_type,
        req.decode(),
        field_manager=req.param("fieldManager") or "",
        force=req.flag("force"),
        dry_run=req.dry_run,
        subresource=target.subresource,
    )
    return _object(req, target, 201 if created else 200, obj)


def _delete_options(req: Request) -> dict[str, Any]:
    body = req.decode() if req.body else None
    options = dict(body) if isinstance(body, dict) else {}
    if req.param("propagationPolicy"):
        options["propagationPolicy"] = req.param("propagationPolicy")
    if req.dry_run:
        options["dryRun"] = ["All"]
    return options


def _delete(cluster: Cluster, req: Request, target: Target) -> Response:
    assert target.name is not None
    options = _delete_options(req)
    obj = cluster.store.delete(
        target.rt.group_version,
        target.rt.plural,
        target.namespace,
        target.name,
        propagation=options.get("propagationPolicy"),
        preconditions=options.get("preconditions") or {},
        dry_run="All" in (options.get("dryRun") or []),
    )
    return json_response(200, obj)


def _delete_collection(cluster: Cluster, req: Request, target: Target) -> Response:
    options = _delete_options(req)
    rt = target.rt
    deleted = cluster.store.delete_collection(
        rt.group_version,
        rt.plural,
        target.namespace,
        req.param("labelSelector"),
        req.param("fieldSelector"),
        propagation=options.get("propagationPolicy"),
        dry_run="All" in (options.get("dryRun") or []),
    )
    return json_response(
        200,
        {
            "kind": rt.list_kind,
            "apiVersion": rt.group_version,
            "metadata": {"resourceVersion": cluster.store.resource_version},
            "items": deleted,
        },
    )


def _log(cluster: Cluster, req: Request, target: Target) -> Response:
    assert target.name is not None and target.namespace is not None
    pod = cluster.store.get_raw("v1", "pods", target.namespace, target.name)
    if pod is None:
        raise not_found(target.rt, target.name)
    container = pick_container(pod, req.param("container"))
    data = cluster.logs.read(
        target.namespace,
        target.name,
        container,
        req.int_param("tailLines"),
        req.flag("timestamps"),
        req.int_param("limitBytes"),
    )
    return Response(200, data, "text/plain")


def _proxy(cluster: Cluster, req: Request, target: Target) -> Response:
    if target.rt.plural != "services" or target.name is None or target.namespace is None:
        raise method_not_allowed()
    name, _port = proxy.parse_service_ref(target.name)
    service = cluster.store.get_raw("v1", "services", target.namespace, name)
    base = proxy.resolve_backend(service, cluster.backends, target.namespace, target.name)
    reply = proxy.forward(base, req.method, target.rest, req.raw_query, req.headers, req.body)
    return Response(
        reply.status,
        reply.body,
        reply.headers.get("content-type", "application/octet-stream"),
        {k: v for k, v in reply.headers.items() if k != "content-type"},
    )
