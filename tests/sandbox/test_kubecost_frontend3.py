"""A Kubecost 3.x primary's frontend in the sandbox: nginx's /healthz, the aggregator's /healthz behind /model/ while
the aggregator StatefulSet has a running pod, nginx's 502 when it has none, the proxy's 503 without a frontend pod."""

from __future__ import annotations

from typing import Any

from ampctl.sandbox.kubeapi.store import ObjectStore
from ampctl.sandbox.kubecost import frontend3

NS, CLUSTER = "kubecost", "kc3"


class _Kube:
    """What frontend3 reads of the Kubernetes emulator: one cluster's object store."""

    def __init__(self) -> None:
        self.objects = ObjectStore(CLUSTER)
        self.objects.create("v1", "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": NS}}
        self.objects.create("v1", "serviceaccounts", account, namespace=NS)

    def store(self, cluster: str) -> ObjectStore:
        assert cluster == CLUSTER
        return self.objects


def _workload(kind: str, name: str, container: str) -> dict[str, Any]:
    labels = {"app": name}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": container, "image": "x"}]}}
    spec = {"replicas": 1, "selector": {"matchLabels": labels}, "template": template}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": NS}, "spec": spec}


def _pod(name: str, app: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS, "labels": {"app": app}},
        "spec": {"containers": [{"name": "c", "image": "x"}]}, "status": {"phase": "Running"},
    }  # fmt: skip


def test_the_aggregator_answers_through_the_frontend_while_it_runs() -> None:
    kube = _Kube()
    store = kube.objects
    store.create("apps/v1", "deployments", _workload("Deployment", "kubecost-frontend", "frontend"), namespace=NS)
    assert frontend3.is_frontend(store, store.get("apps/v1", "deployments", NS, "kubecost-frontend") or {})

    def get(route: str) -> tuple[int, bytes]:
        reply = frontend3.handle(kube, CLUSTER, NS, "kubecost-frontend", route)  # type: ignore[arg-type]
        return reply.status, reply.body

    assert get("model/healthz")[0] == 503 and b"no endpoints available" in get("model/healthz")[1]
    store.create("v1", "pods", _pod("kubecost-frontend-0", "kubecost-frontend"), namespace=NS)
    assert get("healthz") == (200, b"healthy\n")
    assert get("model/healthz")[0] == 502 and b"502 Bad Gateway" in get("model/healthz")[1]  # no aggregator yet
    store.create("apps/v1", "statefulsets", _workload("StatefulSet", "kubecost-aggregator", "aggregator"), namespace=NS)
    assert get("model/healthz")[0] == 502  # no running pod
    store.create("v1", "pods", _pod("kubecost-aggregator-0", "kubecost-aggregator"), namespace=NS)
    assert get("model/healthz") == (200, b"")
    assert get("model/allocation")[0] == 404 and get("index.html")[0] == 404
