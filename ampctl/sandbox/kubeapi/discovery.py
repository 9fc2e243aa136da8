"""Discovery documents (legacy and aggregated), /version and the OpenAPI documents clients fetch."""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

import ampctl.sandbox.kubeapi.resources as resources
from ampctl.sandbox.kubeapi.defaults import KUBE_VERSION
from ampctl.sandbox.kubeapi.resources import SUBRESOURCE_KIND, SUBRESOURCE_VERBS, ResourceType
from ampctl.sandbox.protowire import bytes_field

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"


def version_info() -> dict[str, Any]:
    major, minor = KUBE_VERSION.lstrip("v").split(".")[:2]
    return {
        "major": major,
        "minor": minor,
        "gitVersion": KUBE_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-08-13T07:28:49Z",
        "goVersion": "go1.22.5",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def aggregated_variant(accept: str) -> str | None:
    """The aggregated discovery content type the client asked for, if any."""
    compact = accept.replace(" ", "")
    if "as=APIGroupDiscoveryList" not in compact:
        return None
    for part in compact.split(","):
        if "g=apidiscovery.k8s.io" in part and "as=APIGroupDiscoveryList" in part:
            if "v=v2;" in part + ";":
                return AGGREGATED_V2
            if "v=v2beta1" in part:
                return AGGREGATED_V2BETA1
    return None


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group(name: str) -> dict[str, Any]:
    versions = [{"groupVersion": f"{name}/{v}", "version": v} for v in resources.versions_of(name)]
    return {"name": name, "versions": versions, "preferredVersion": versions[0]}


@functools.cache
def api_group_list() -> dict[str, Any]:
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(g) for g in resources.groups()]}


def api_group(name: str) -> dict[str, Any] | None:
    if name not in resources.groups():
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name)}


def _storage_hash(rt: ResourceType) -> str:
    return hashlib.sha256(f"{rt.group_version}/{rt.kind}".encode()).hexdigest()[:11]


@functools.lru_cache(maxsize=64)
def api_resource_list(group_version: str) -> dict[str, Any] | None:
    types = resources.in_group_version(group_version)
    if not types:
        return None
    items: list[dict[str, Any]] = []
    for rt in types:
        entry: dict[str, Any] = {
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": list(rt.verbs),
            "storageVersionHash": _storage_hash(rt),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        items.append(entry)
        for sub in rt.subresources:
            group, version, kind = SUBRESOURCE_KIND.get(sub, (rt.group, rt.version, rt.kind))
            sub_entry: dict[str, Any] = {
                "name": f"{rt.plural}/{sub}",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": kind,
                "verbs": list(SUBRESOURCE_VERBS[sub]),
            }
            if group != rt.group or version != rt.version:
                sub_entry.update(group=group, version=version)
            items.append(sub_entry)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": items}


def _discovery_resource(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": rt.plural,
        "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "scope": "Namespaced" if rt.namespaced else "Cluster",
        "singularResource": rt.singular,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    subs = []
    for sub in rt.subresources:
        group, version, kind = SUBRESOURCE_KIND.get(sub, (rt.group, rt.version, rt.kind))
        subs.append(
            {
                "subresource": sub,
                "responseKind": {"group": group, "version": version, "kind": kind},
                "verbs": list(SUBRESOURCE_VERBS[sub]),
            }
        )
    if subs:
        entry["subresources"] = subs
    return entry


@functools.lru_cache(maxsize=8)
def aggregated(core: bool, content_type: str) -> dict[str, Any]:
    """The APIGroupDiscoveryList for /api (core) or /apis (named groups)."""
    version = "v2" if content_type == AGGREGATED_V2 else "v2beta1"
    names = [""] if core else resources.groups()
    items = []
    for name in names:
        versions = []
        for v in ["v1"] if core else resources.versions_of(name):
            group_version = f"{name}/{v}" if name else v
            versions.append(
                {
                    "version": v,
                    "freshness": "Current",
                    "resources": [_discovery_resource(rt) for rt in resources.in_group_version(group_version)],
                }
            )
        meta: dict[str, Any] = {"name": name, "creationTimestamp": None} if name else {"creationTimestamp": None}
        items.append({"metadata": meta, "versions": versions})
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"apidiscovery.k8s.io/{version}",
        "metadata": {},
        "items": items,
    }


# -- OpenAPI ------------------------------------------------------------------------------------


@functools.cache
def openapi_v2_protobuf() -> bytes:
    """A minimal openapi_v2.Document: swagger "2.0" and info (title, version)."""
    info = bytes_field(1, b"Kubernetes") + bytes_field(2, KUBE_VERSION.encode())
    return bytes_field(1, b"2.0") + bytes_field(2, info)


def openapi_v2_json() -> dict[str, Any]:
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": KUBE_VERSION}, "paths": {}, "definitions": {}}


def _v3_path(group_version: str) -> str:
    return f"api/{group_version}" if group_version == "v1" else f"apis/{group_version}"


@functools.cache
def openapi_v3_root() -> dict[str, Any]:
    paths = {}
    for gv in resources.group_versions():
        doc = json.dumps(openapi_v3_document(gv), sort_keys=True).encode()
        digest = hashlib.sha512(doc).hexdigest()[:64].upper()
        paths[_v3_path(gv)] = {"serverRelativeURL": f"/openapi/v3/{_v3_path(gv)}?hash={digest}"}
    return {"paths": paths}


_QUERY_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "force", "pretty")


def _operation(rt: ResourceType, action: str, params: tuple[str, ...]) -> dict[str, Any]:
    return {
        "operationId": f"{action}{rt.kind}",
        "parameters": [{"name": p, "in": "query", "schema": {"type": "string", "uniqueItems": True}} for p in params],
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
    }


@functools.lru_cache(maxsize=64)
def openapi_v3_document(group_version: str) -> dict[str, Any]:
    """Paths with the query parameters clients probe for (fieldValidation); no schemas."""
    paths: dict[str, Any] = {}
    prefix = "/" + _v3_path(group_version)
    for rt in resources.in_group_version(group_version):
        base = f"{prefix}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{prefix}/{rt.plural}"
        paths[base] = {
            "get": _operation(rt, "list", ("pretty",)),
            "post": _operation(rt, "post", _QUERY_PARAMS[:3] + ("pretty",)),
        }
        paths[f"{base}/{{name}}"] = {
            "get": _operation(rt, "get", ("pretty",)),
            "put": _operation(rt, "put", _QUERY_PARAMS[:3] + ("pretty",)),
            "patch": _operation(rt, "patch", _QUERY_PARAMS),
            "delete": _operation(rt, "delete", ("dryRun", "pretty")),
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": KUBE_VERSION},
        "paths": paths,
        "components": {"schemas": {}},
    }
