"""What the API server does to an object before storing it: validation, defaults and allocations."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import itertools
import re
import threading
from collections.abc import Callable
from typing import Any

from ampctl.sandbox.kubeapi.quantities import canonicalize
from ampctl.sandbox.kubeapi.resources import ResourceType
from ampctl.sandbox.kubeapi.selectors import from_label_selector_object
from ampctl.sandbox.kubeapi.statefulsets import FORBIDDEN, changed_fields
from ampctl.sandbox.kubeapi.status import ApiError, bad_request, invalid

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAMES = {"namespaces", "services"}
# Kinds whose names may hold any character but '/' and '%' (RBAC names such as system:aggregate-to-view).
_PATH_SEGMENT_NAMES = {"roles", "rolebindings", "clusterroles", "clusterrolebindings"}

Exists = Callable[[str, str, str | None, str], bool]


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Allocator:
    """Cluster IPs and node ports, handed out once per Service."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ips = itertools.count(10)
        self._ports = itertools.count(30000)

    def cluster_ip(self) -> str:
        with self._lock:
            n = next(self._ips)
        return f"10.96.{(n // 250) % 250}.{n % 250 + 1}"

    def node_port(self) -> int:
        with self._lock:
            return 30000 + (next(self._ports) - 30000) % 2768


def identity(rt: ResourceType, obj: Any, namespace: str | None) -> dict[str, Any]:
    """Check kind and namespace of a body against the URL; set apiVersion, kind and namespace."""
    if not isinstance(obj, dict):
        raise bad_request("the body of the request must be a JSON object")
    if obj.get("kind") not in (None, "", rt.kind):
        raise bad_request(
            f"the kind of the provided object ({obj['kind']}) does not match the kind of the resource ({rt.kind})"
        )
    obj["apiVersion"], obj["kind"] = rt.group_version, rt.kind
    meta = obj.get("metadata")
    if meta is None:
        meta = obj["metadata"] = {}
    if not isinstance(meta, dict):
        raise bad_request("metadata must be an object")
    if rt.namespaced:
        if namespace and meta.get("namespace") and meta["namespace"] != namespace:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
        meta["namespace"] = namespace or meta.get("namespace") or "default"
    else:
        meta.pop("namespace", None)
    return meta


def validate_name(rt: ResourceType, name: str) -> None:
    if rt.plural in _PATH_SEGMENT_NAMES:
        ok = bool(name) and "/" not in name and "%" not in name and name not in (".", "..")
        detail = "may not contain '/' or '%'"
    elif rt.plural in _LABEL_NAMES:
        ok = len(name) <= 63 and bool(_LABEL.match(name))
        detail = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'"
    else:
        ok = len(name) <= 253 and bool(_SUBDOMAIN.match(name))
        detail = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"
    if not ok:
        raise invalid(rt, name, "metadata.name", f'Invalid value: "{name}": {detail}')


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = obj["spec"] = {}
    return spec


def _workload(rt: ResourceType, obj: dict[str, Any], name: str) -> None:
    spec = _spec(obj)
    if rt.kind != "DaemonSet":
        spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        raise invalid(rt, name, "spec.selector", "Required value", "FieldValueRequired")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not from_label_selector_object(selector).matches(labels):
        raise invalid(
            rt,
            name,
            "spec.template.metadata.labels",
            f"Invalid value: {labels}: `selector` does not match template `labels`",
        )
    if rt.kind == "Deployment":
        _strategy(spec, "strategy", {"maxUnavailable": "25%", "maxSurge": "25%"})
        spec.setdefault("progressDeadlineSeconds", 600)
    elif rt.kind == "StatefulSet":
        _strategy(spec, "updateStrategy", {"partition": 0})
        spec.setdefault("podManagementPolicy", "OrderedReady")
        spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
    elif rt.kind == "DaemonSet":
        _strategy(spec, "updateStrategy", {"maxUnavailable": 1, "maxSurge": 0})


def _strategy(spec: dict[str, Any], key: str, rolling: dict[str, Any]) -> None:
    """Default the update strategy field by field, as the API server does (a chart may give only `type`)."""
    given = spec.get(key)
    strategy = {k: v for k, v in given.items() if v is not None} if isinstance(given, dict) else {}
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        strategy["rollingUpdate"] = {**rolling, **(strategy.get("rollingUpdate") or {})}
    spec[key] = strategy


def _job(obj: dict[str, Any]) -> None:
    spec = _spec(obj)
    meta = obj["metadata"]
    for key, value in (
        ("completions", 1),
        ("parallelism", 1),
        ("backoffLimit", 6),
        ("completionMode", "NonIndexed"),
        ("suspend", False),
    ):
        spec.setdefault(key, value)
    uid, name = meta.get("uid", ""), meta.get("name", "")
    labels = {
        "batch.kubernetes.io/controller-uid": uid,
        "controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "job-name": name,
    }
    if "selector" not in spec:
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        template_meta = spec.setdefault("template", {}).setdefault("metadata", {})
        template_meta["labels"] = {**(template_meta.get("labels") or {}), **labels}


def _secret(rt: ResourceType, obj: dict[str, Any], name: str) -> None:
    obj.setdefault("type", "Opaque")
    data = dict(obj.get("data") or {})
    for key, value in (obj.pop("stringData", None) or {}).items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    for key, value in data.items():
        try:
            base64.b64decode(value or "", validate=True)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise ApiError(400, f"illegal base64 data in data[{key!r}] of Secret {name}", "BadRequest") from exc
    if data or "data" in obj:
        obj["data"] = data


def _service(obj: dict[str, Any], alloc: Allocator, name: str, namespace: str) -> None:
    spec = _spec(obj)
    kind = spec.setdefault("type", "ClusterIP")
    if kind != "ExternalName":
        if not spec.get("clusterIP"):
            spec["clusterIP"] = alloc.cluster_ip()
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        if spec["clusterIP"] != "None":
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
        if kind in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
            port["nodePort"] = alloc.node_port()
    if kind in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    status = obj.setdefault("status", {})
    if kind == "LoadBalancer" and not (status.get("loadBalancer") or {}).get("ingress"):
        status["loadBalancer"] = {"ingress": [{"hostname": f"{name}.{namespace}.elb.sandbox.local"}]}
    else:
        status.setdefault("loadBalancer", {})


def _pod(rt: ResourceType, obj: dict[str, Any], name: str, namespace: str, exists: Exists) -> None:
    spec = _spec(obj)
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = spec["serviceAccount"] = account
    for key, value in (
        ("restartPolicy", "Always"),
        ("dnsPolicy", "ClusterFirst"),
        ("schedulerName", "default-scheduler"),
        ("terminationGracePeriodSeconds", 30),
    ):
        spec.setdefault(key, value)
    if not exists("v1", "serviceaccounts", namespace, account):
        shown = obj["metadata"].get("generateName") or name
        raise ApiError(
            403,
            f'pods "{shown}" is forbidden: error looking up service account '
            f'{namespace}/{account}: serviceaccount "{account}" not found',
            "Forbidden",
            {"name": name, "kind": "pods"},
        )
    obj.setdefault("status", {}).setdefault("phase", "Pending")


def prepare_create(rt: ResourceType, obj: dict[str, Any], alloc: Allocator, exists: Exists) -> None:
    """Validate and default a new object in place (metadata is already filled in)."""
    meta = obj["metadata"]
    name, namespace = meta["name"], meta.get("namespace", "")
    validate_name(rt, name)
    _defaults(rt, obj, name)
    canonicalize(obj.get("spec"))
    if rt.kind == "Namespace":
        _spec(obj).setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}
    elif rt.kind == "Service":
        _service(obj, alloc, name, namespace)
    elif rt.kind == "Pod":
        _pod(rt, obj, name, namespace, exists)
    elif rt.kind == "Job":
        _job(obj)
    elif rt.kind == "PersistentVolumeClaim":
        _spec(obj).setdefault("volumeMode", "Filesystem")
        obj.setdefault("status", {}).setdefault("phase", "Pending")


def _defaults(rt: ResourceType, obj: dict[str, Any], name: str) -> None:
    if rt.kind == "Namespace":
        labels = obj["metadata"].setdefault("labels", {})
        labels["kubernetes.io/metadata.name"] = name
    elif rt.kind == "Secret":
        _secret(rt, obj, name)
    elif rt.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        _workload(rt, obj, name)


def _immutable(rt: ResourceType, name: str, field: str) -> ApiError:
    return invalid(rt, name, field, "Invalid value: field is immutable")


def prepare_update(rt: ResourceType, old: dict[str, Any], new: dict[str, Any], alloc: Allocator) -> None:
    """Validate and default the replacement of `old` by `new` in place."""
    meta = new["metadata"]
    name = meta["name"]
    _defaults(rt, new, name)
    canonicalize(new.get("spec"))
    old_spec, new_spec = old.get("spec") or {}, new.get("spec")
    if rt.kind in ("Secret", "ConfigMap") and old.get("immutable"):
        for field in ("data", "binaryData", "stringData"):
            if (old.get(field) or {}) != (new.get(field) or {}):
                raise invalid(
                    rt, name, field, "Forbidden: field is immutable when `immutable` is set", "FieldValueForbidden"
                )
    if rt.kind == "Namespace":
        new["status"] = old.get("status") or {"phase": "Active"}
        _spec(new).setdefault("finalizers", ["kubernetes"])
    if not isinstance(new_spec, dict):
        return
    if rt.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        if "selector" not in new_spec and "selector" in old_spec:
            new_spec["selector"] = old_spec["selector"]
        elif rt.kind != "ReplicaSet" and new_spec.get("selector") != old_spec.get("selector"):
            raise _immutable(rt, name, "spec.selector")
    if rt.kind == "StatefulSet" and changed_fields(old_spec, new_spec):  # statefulsets.py
        raise invalid(rt, name, "spec", FORBIDDEN, "FieldValueForbidden")
    if rt.kind == "Service":
        for field in ("clusterIP", "clusterIPs"):
            if not new_spec.get(field) and old_spec.get(field):
                new_spec[field] = old_spec[field]
        if old_spec.get("clusterIP") and new_spec.get("clusterIP") != old_spec.get("clusterIP"):
            raise _immutable(rt, name, "spec.clusterIP")
        old_ports = {(p.get("port"), p.get("protocol", "TCP")): p for p in old_spec.get("ports") or []}
        for port in new_spec.get("ports") or []:
            before = old_ports.get((port.get("port"), port.get("protocol", "TCP")))
            if before and before.get("nodePort") and not port.get("nodePort"):
                port["nodePort"] = before["nodePort"]
        _service(new, alloc, name, meta.get("namespace", ""))
    if rt.kind == "PersistentVolumeClaim" and old_spec.get("volumeName") and not new_spec.get("volumeName"):
        new_spec["volumeName"] = old_spec["volumeName"]
