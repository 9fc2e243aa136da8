"""A Kubecost 3.x primary's frontend (nginx) and the aggregator API behind it, as the API server's service proxy
reaches them, played from the objects currently in the cluster.

From the kubecost chart at 3.2.1: the frontend is its own Deployment `<release>-frontend` (container `frontend`,
templates/frontend/frontend-deployment.yaml) behind Service `<release>-frontend`, port `tcp-frontend` 9090. Its nginx
answers `/healthz` itself and sends `/model/` to the upstream `<release>-aggregator:9004`
(templates/frontend/frontend-configmap.yaml), whose readiness probe is `/healthz` (aggregator-statefulset.yaml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ampctl.sandbox.kubecost import objects as ko
from ampctl.sandbox.kubecost.costmodel import Reply

if TYPE_CHECKING:
    from ampctl.sandbox.kubeapi import KubeEmulator

FRONTEND = "frontend"
KIND = "kubecost3"  # the stand-in server's path prefix for these backends
PORTS = ("tcp-frontend", "9090")
# nginx's answer when its upstream refuses or is unreachable: 502 Bad Gateway (nginx docs, ngx_http_proxy_module,
# proxy_next_upstream "error": "an error occurred while establishing a connection with the server"; the status is
# nginx's NGX_HTTP_BAD_GATEWAY), with its default error page.
_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    b"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def is_frontend(store: ko.Store, workload: ko.Obj) -> bool:
    """A 3.x frontend Deployment: a `frontend` container, `<x>-frontend`, no cost-model beside it (2.x's frontend is
    a container of the cost-analyzer Deployment)."""
    return (
        str(workload["metadata"]["name"]).endswith(f"-{FRONTEND}")
        and ko.container(ko.pod_spec(workload), FRONTEND) is not None
        and not ko.beside_cost_model(store, ko.namespace_of(workload))
    )


def handle(kube: KubeEmulator, cluster: str, namespace: str, deployment: str, route: str) -> Reply:
    """Answer `GET /<route>` on the frontend Deployment `deployment`'s port 9090."""
    store = kube.store(cluster)
    workload = store.get("apps/v1", "deployments", namespace, deployment)
    if workload is None or ko.serving_pod(store, workload) is None:  # the API server's proxy: no ready endpoint
        return Reply.error(503, f'no endpoints available for service "{deployment}"')
    if route == "healthz":
        return Reply(200, b"healthy\n")  # nginx's own `location /healthz { return 200 "healthy\n"; }`
    if not route.startswith("model/"):
        return Reply(404, b"404 page not found\n")
    release = deployment.removesuffix(f"-{FRONTEND}")
    aggregator = store.get("apps/v1", "statefulsets", namespace, f"{release}-aggregator")
    if aggregator is None or ko.serving_pod(store, aggregator) is None:
        return Reply(502, _BAD_GATEWAY)
    if route.removeprefix("model/") == "healthz":
        # A 200 and nothing else (Kubecost's maintainer on cost-model's /healthz, kubecost/kubectl-cost#169; the
        # aggregator's body is not published: an assumption, doctor judges the status alone).
        return Reply(200, b"")
    return Reply(404, b"404 page not found\n")  # the aggregator's other routes are not played
