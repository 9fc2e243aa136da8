"""Server-side printing (`meta.k8s.io/v1` Table), which `kubectl get` asks for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ampctl.sandbox.kubeapi.resources import ResourceType

Column = tuple[str, Callable[[dict[str, Any]], Any]]


def wants_table(accept: str) -> bool:
    return "as=Table" in accept.replace(" ", "")


def age(obj: dict[str, Any]) -> str:
    stamp = obj["metadata"].get("creationTimestamp")
    if not stamp:
        return "<unknown>"
    created = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    seconds = max(int((dt.datetime.now(dt.timezone.utc) - created).total_seconds()), 0)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _status(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("status") or {}


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("spec") or {}


def _pod_ready(obj: dict[str, Any]) -> str:
    statuses = _status(obj).get("containerStatuses") or []
    return f"{sum(1 for s in statuses if s.get('ready'))}/{len(_spec(obj).get('containers') or [])}"


def _ports(obj: dict[str, Any]) -> str:
    ports = _spec(obj).get("ports") or []
    return (
        ",".join(
            f"{p.get('port')}{':' + str(p['nodePort']) if p.get('nodePort') else ''}/{p.get('protocol', 'TCP')}"
            for p in ports
        )
        or "<none>"
    )


def _external(obj: dict[str, Any]) -> str:
    ingress = (_status(obj).get("loadBalancer") or {}).get("ingress") or []
    return ",".join(i.get("hostname") or i.get("ip", "") for i in ingress) or "<none>"


COLUMNS: dict[str, list[Column]] = {
    "Namespace": [("Status", lambda o: _status(o).get("phase", ""))],
    "Pod": [
        ("Ready", _pod_ready),
        ("Status", lambda o: _status(o).get("phase", "")),
        ("Restarts", lambda o: sum(s.get("restartCount", 0) for s in _status(o).get("containerStatuses") or [])),
    ],
    "Deployment": [
        ("Ready", lambda o: f"{_status(o).get('readyReplicas', 0)}/{_spec(o).get('replicas', 1)}"),
        ("Up-to-date", lambda o: _status(o).get("updatedReplicas", 0)),
        ("Available", lambda o: _status(o).get("availableReplicas", 0)),
    ],
    "StatefulSet": [("Ready", lambda o: f"{_status(o).get('readyReplicas', 0)}/{_spec(o).get('replicas', 1)}")],
    "ReplicaSet": [
        ("Desired", lambda o: _spec(o).get("replicas", 1)),
        ("Current", lambda o: _status(o).get("replicas", 0)),
        ("Ready", lambda o: _status(o).get("readyReplicas", 0)),
    ],
    "DaemonSet": [
        ("Desired", lambda o: _status(o).get("desiredNumberScheduled", 0)),
        ("Current", lambda o: _status(o).get("currentNumberScheduled", 0)),
        ("Ready", lambda o: _status(o).get("numberReady", 0)),
    ],
    "Job": [("Completions", lambda o: f"{_status(o).get('succeeded', 0)}/{_spec(o).get('completions', 1)}")],
    "Service": [
        ("Type", lambda o: _spec(o).get("type", "")),
        ("Cluster-IP", lambda o: _spec(o).get("clusterIP", "")),
        ("External-IP", _external),
        ("Port(s)", _ports),
    ],
    "Secret": [("Type", lambda o: o.get("type", "")), ("Data", lambda o: len(o.get("data") or {}))],
    "ConfigMap": [("Data", lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {}))],
    "PersistentVolumeClaim": [
        ("Status", lambda o: _status(o).get("phase", "")),
        ("Volume", lambda o: _spec(o).get("volumeName", "")),
        ("Capacity", lambda o: (_status(o).get("capacity") or {}).get("storage", "")),
        ("StorageClass", lambda o: _spec(o).get("storageClassName", "<unset>")),
    ],
    "Node": [
        ("Status", lambda o: "Ready"),
        ("Version", lambda o: (_status(o).get("nodeInfo") or {}).get("kubeletVersion", "")),
    ],
}


def table(rt: ResourceType, items: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    columns = COLUMNS.get(rt.kind, [])
    definitions = [{"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0}]
    definitions += [
        {"name": name, "type": "string", "format": "", "description": name, "priority": 0} for name, _fn in columns
    ]
    definitions.append({"name": "Age", "type": "string", "format": "", "description": "Age", "priority": 0})
    rows = [{"cells": [o["metadata"]["name"], *[fn(o) for _name, fn in columns], age(o)], "object": o} for o in items]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta or {},
        "columnDefinitions": definitions,
        "rows": rows,
    }
