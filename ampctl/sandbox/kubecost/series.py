"""The series a working Kubecost install sends to AMP: cAdvisor's container metrics for the cluster's
pods and Kubecost's node cost metrics, every one carrying Prometheus' external labels."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

from ampctl.sandbox.amp.remote_write import Series
from ampctl.sandbox.kubecost.objects import Obj, Store

CADVISOR = "kubernetes-nodes-cadvisor"
KUBECOST = "kubecost"
# instance type -> (hourly total, per-CPU hourly, per-GiB RAM hourly), on-demand us-east-2 list prices.
NODE_TYPES = {
    "t3.medium": (0.0416, 0.0104, 0.0052),
    "m5.large": (0.096, 0.024, 0.012),
    "m5.xlarge": (0.192, 0.048, 0.024),
}


def _stable(text: str, low: float, high: float) -> float:
    fraction = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return low + (high - low) * fraction


def nodes(store: Store, region: str) -> list[tuple[str, str]]:
    """(node name, instance type): the cluster's Node objects, or two fake EKS nodes."""
    found = [
        (
            str(n["metadata"]["name"]),
            str((n["metadata"].get("labels") or {}).get("node.kubernetes.io/instance-type", "t3.medium")),
        )
        for n in store.list("v1", "nodes")
    ]
    return found or [
        (f"ip-10-0-1-17.{region}.compute.internal", "t3.medium"),
        (f"ip-10-0-2-43.{region}.compute.internal", "m5.large"),
    ]


def _with(labels: Mapping[str, str], external: Mapping[str, str]) -> dict[str, str]:
    out = {k: v for k, v in external.items() if k not in labels}
    out.update(labels)
    return out


def pod_series(pods: list[Obj], node_names: list[str], external: Mapping[str, str], now_ms: int) -> list[Series]:
    series: list[Series] = []
    for index, pod in enumerate(pods):
        meta, spec = pod["metadata"], pod.get("spec") or {}
        node = str(spec.get("nodeName") or node_names[index % len(node_names)])
        for c in spec.get("containers") or []:
            key = f"{meta.get('namespace')}/{meta['name']}/{c['name']}"
            labels = {
                "container": str(c["name"]),
                "pod": str(meta["name"]),
                "namespace": str(meta.get("namespace") or "default"),
                "node": node,
                "instance": node,
                "job": CADVISOR,
            }
            memory = round(_stable(key, 20e6, 400e6))
            cpu = _stable(key, 0.001, 0.05) * (now_ms / 1000.0 % 86400)
            series.append(
                (_with({"__name__": "container_memory_working_set_bytes", **labels}, external), [(now_ms, memory)])
            )
            series.append(
                (_with({"__name__": "container_cpu_usage_seconds_total", **labels}, external), [(now_ms, cpu)])
            )
            running = {"__name__": "kube_pod_container_status_running", "job": KUBECOST, **labels}
            series.append((_with(running, external), [(now_ms, 1.0)]))
    return series


def node_series(node_list: list[tuple[str, str]], external: Mapping[str, str], now_ms: int) -> list[Series]:
    series: list[Series] = []
    for node, instance_type in node_list:
        total, cpu, ram = NODE_TYPES.get(instance_type, NODE_TYPES["t3.medium"])
        labels = {"instance": node, "node": node, "instance_type": instance_type, "job": KUBECOST, "arch": "amd64"}
        for name, value in (
            ("node_total_hourly_cost", total),
            ("node_cpu_hourly_cost", cpu),
            ("node_ram_hourly_cost", ram),
        ):
            series.append((_with({"__name__": name, **labels}, external), [(now_ms, value)]))
    return series


def cluster_series(store: Store, region: str, external: Mapping[str, str], now_ms: int | None = None) -> list[Series]:
    """Everything one scrape round of the bundled Prometheus would remote-write."""
    stamp = now_ms if now_ms is not None else int(time.time() * 1000)
    node_list = nodes(store, region)
    pods = [p for p in store.list("v1", "pods") if (p.get("status") or {}).get("phase") == "Running"]
    return pod_series(pods, [n for n, _ in node_list], external, stamp) + node_series(node_list, external, stamp)
