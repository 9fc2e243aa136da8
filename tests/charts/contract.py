"""Reading the contract facts out of what a real chart renders."""

from __future__ import annotations

from typing import Any

from ampctl.chartkeys import cluster_filter_key, wants_cluster_filter
from ampctl.spec import ClusterSpec
from tests.charts.conftest import Rendered

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
# Components that call no AWS API and may run under the chart's or the namespace's own account.
NO_AWS = ("kube-state-metrics", "forecasting")


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return dict(obj["spec"]["template"]["spec"])


def container(obj: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    if obj is None:
        return None
    return next((c for c in pod_spec(obj)["containers"] if c["name"] == name), None)


def env(c: dict[str, Any] | None) -> dict[str, Any]:
    """Plain env values by name (valueFrom entries map to their source)."""
    if c is None:
        return {}
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in c.get("env") or []}


def flag(args: list[str], name: str) -> str | None:
    for index, arg in enumerate(args):
        key, eq, value = arg.partition("=")
        if key == name:
            return value if eq else (args[index + 1] if index + 1 < len(args) else None)
    return None


def cost_model(r: Rendered) -> dict[str, Any] | None:
    return container(r.find("Deployment", "kubecost-cost-analyzer"), "cost-model")


def secret_mounts(obj: dict[str, Any], secret: str) -> set[str]:
    """Mount paths of every volume of `obj` backed by `secret`."""
    spec = pod_spec(obj)
    volumes = {v["name"] for v in spec.get("volumes") or [] if (v.get("secret") or {}).get("secretName") == secret}
    return {m["mountPath"] for c in spec["containers"] for m in c.get("volumeMounts") or [] if m["name"] in volumes}


def filter_expected(spec: ClusterSpec) -> bool:
    """The cluster filter is on wherever a key renders it, except on a 1.x quick-start primary."""
    wanted = wants_cluster_filter(spec.chart_version, spec.primary, spec.federated)
    return cluster_filter_key(spec.chart_version) is not None and wanted
