"""cost-model's Prometheus pass-through (`/prometheusQuery`, `/prometheusQueryRange`) and the
aws-sigv4-proxy sidecar it talks to, played from the objects currently in the cluster.

Every request reads the Deployment, its ConfigMap, the ServiceAccount and the IAM state afresh, so a
change to any of them shows on the next request, as it would after the pod restarted.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ampctl.sandbox.aws.iam_eval import Credentials
from ampctl.sandbox.kubecost import objects as ko
from ampctl.sandbox.kubecost.aws import (
    AMP_HOST,
    Answer,
    CredentialError,
    Pod,
    assumed_credentials,
    pod_credentials,
    send,
)
from ampctl.sandbox.kubecost.logs import logrus, sigv4proxy_start, zerolog

if TYPE_CHECKING:
    from ampctl.sandbox.aws.emulator import AwsEmulator
    from ampctl.sandbox.kubeapi import KubeEmulator

Answerer = Callable[[str, str, str, str], "Reply"]  # (cluster, namespace, deployment, route) -> its answer
ROUTES = {"prometheusQuery": "/api/v1/query", "prometheusQueryRange": "/api/v1/query_range"}
_LOCAL = {"localhost", "127.0.0.1", "0.0.0.0", "0", "::1"}


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    @classmethod
    def error(cls, status: int, message: str) -> Reply:
        payload = {"code": status, "status": "error", "data": None, "message": message}
        return cls(status, json.dumps(payload).encode())


def cost_analyzer_start_lines(workload: ko.Obj) -> list[tuple[str, str]]:
    """(container, line)s a cost-analyzer pod logs when it starts."""
    sidecar = ko.Sidecar.from_container(ko.container(ko.pod_spec(workload), ko.SIGV4PROXY) or {})
    version = str((workload["metadata"].get("labels") or {}).get("helm.sh/chart", "")).rpartition("-")[2]
    lines = [(ko.SIGV4PROXY, line) for line in sigv4proxy_start(sidecar.port, sidecar.image)]
    return [(ko.COST_MODEL, zerolog("INF", f"Starting cost-model version {version or 'dev'}")), *lines]


class _CommunicationError(Exception):
    def __init__(self, detail: str, status: int = 502) -> None:
        super().__init__(detail)
        self.status = status


class CostModel:
    def __init__(self, kube: KubeEmulator, aws: AwsEmulator, amp_url: str) -> None:
        self.kube = kube
        self.aws = aws
        self.amp_url = amp_url

    def handle(self, cluster: str, namespace: str, deployment: str, route: str, params: str) -> Reply:
        """Answer `GET /<route>?<params>` on cost-model's port 9003."""
        store = self.kube.store(cluster)
        workload = store.get("apps/v1", "deployments", namespace, deployment)
        serving = ko.serving_pod(store, workload) if workload else None
        if workload is None or serving is None:
            return Reply.error(503, f'no endpoints available for service "{deployment}"')
        pod = str(serving["metadata"]["name"])
        if route not in ROUTES:
            return Reply.error(404, f"404 page not found: /{route}")
        query = (parse_qs(params).get("query") or [""])[0]
        if not query:
            return Reply.error(400, "Query Parameter 'query' is unset'")
        try:
            answer = self._query(cluster, store, workload, pod, ROUTES[route], params)
        except _CommunicationError as exc:
            message = f"Prometheus communication error: {exc}"
            self._log(cluster, namespace, pod, ko.COST_MODEL, zerolog("ERR", message))
            return Reply.error(exc.status, message)
        return Reply(200, answer)

    def probe(self, cluster: str, namespace: str, deployment: str, query: str) -> bool:
        """Whether cost-model's own queries currently succeed (what its ETL build depends on)."""
        reply = self.handle(cluster, namespace, deployment, "prometheusQuery", urlencode({"query": query}))
        return reply.status == 200

    # the request path: cost-model -> sigv4 proxy -> AMP

    def _query(self, cluster: str, store: ko.Store, workload: ko.Obj, pod: str, api: str, params: str) -> bytes:
        namespace = ko.namespace_of(workload)
        spec = ko.pod_spec(workload)
        model = ko.container(spec, ko.COST_MODEL) or {}
        endpoint = ko.env_value(store, namespace, model, "PROMETHEUS_SERVER_ENDPOINT")
        if endpoint is None:
            cm = store.get("v1", "configmaps", namespace, workload["metadata"]["name"]) or {}
            endpoint = (cm.get("data") or {}).get("prometheus-server-endpoint", "")
        parts = urlsplit(endpoint.strip())
        path = parts.path.rstrip("/") + api
        url = f"{parts.scheme}://{parts.netloc}{path}?{params}"
        sidecar_spec = ko.container(spec, ko.SIGV4PROXY)
        sidecar = ko.Sidecar.from_container(sidecar_spec) if sidecar_spec else None
        host = parts.hostname or ""
        if host not in _LOCAL:
            if not AMP_HOST.match(host):
                raise _CommunicationError(f'Get "{url}": dial tcp: lookup {host}: no such host')
            return self._checked(url, send(self.amp_url, "GET", url, region="", credentials=None))
        if sidecar is None or (parts.port or 80) != sidecar.port:
            raise _CommunicationError(
                f'Get "{url}": dial tcp 127.0.0.1:{parts.port or 80}: connect: connection refused'
            )
        if parts.scheme != "http":
            raise _CommunicationError(f'Get "{url}": http: server gave HTTP response to HTTPS client')
        answer = self._sidecar(cluster, namespace, pod, sidecar, store, workload, path, params)
        return self._checked(url, answer)

    def _checked(self, url: str, answer: Answer) -> bytes:
        if answer.status >= 400:
            body = answer.body.decode(errors="replace")
            raise _CommunicationError(f"{answer.status} ({answer.reason}) URL: '{url}', Body: '{body}'", answer.status)
        return answer.body

    def _sidecar(
        self,
        cluster: str,
        namespace: str,
        pod: str,
        sidecar: ko.Sidecar,
        store: ko.Store,
        workload: ko.Obj,
        path: str,
        params: str,
    ) -> Answer:
        """What aws-sigv4-proxy does with one request: credentials, signing, forwarding."""
        upstream = f"https://{sidecar.host}{path}?{params}"

        def failed(error: str) -> Answer:
            self._log(cluster, namespace, pod, ko.SIGV4PROXY, logrus("error", "unable to proxy request", error=error))
            return Answer(502, "Bad Gateway", b"")

        try:
            credentials = self.credentials(cluster, store, workload, sidecar.role_arn, proxy_image=sidecar.image)
        except CredentialError as exc:
            return failed(str(exc))
        if not AMP_HOST.match(sidecar.host):
            return failed(f'Get "{upstream}": dial tcp: lookup {sidecar.host}: no such host')
        try:
            answer = send(
                self.amp_url, "GET", upstream, region=sidecar.region, credentials=credentials, service=sidecar.service
            )
        except OSError as exc:
            return failed(f'Get "{upstream}": {exc}')
        if answer.status >= 400 and sidecar.log_failed:
            line = logrus(
                "error",
                "error proxying request",
                message=answer.body.decode(errors="replace"),
                request=f"GET {upstream}",
                status_code=answer.status,
            )
            self._log(cluster, namespace, pod, ko.SIGV4PROXY, line)
        return answer

    def credentials(
        self, cluster: str, store: ko.Store, workload: ko.Obj, assume: str | None = None, proxy_image: str | None = None
    ) -> Credentials:
        """The pod's credentials (IRSA, else EKS Pod Identity); with `assume` (the proxy's --role-arn), that role's
        on top. `proxy_image`: the sigv4 proxy asks, whose SDK must know Pod Identity."""
        namespace = ko.namespace_of(workload)
        account = ko.service_account_of(store, workload)
        role = ko.irsa_role(store, namespace, account)
        serving = ko.serving_pod(store, workload) or {"metadata": {}}
        pod = Pod(
            namespace, account, str(serving["metadata"].get("name") or ""), str(serving["metadata"].get("uid") or ""),
            ko.pod_identity_agent_running(store),
        )  # fmt: skip
        base = pod_credentials(self.aws, cluster, pod, role, proxy_image)
        if not assume:
            return base
        # The proxy names its session aws-sigv4-proxy-<hostname>, the pod's name (cmd/aws-sigv4-proxy/main.go at v1.9,
        # roleSessionName; the Unix time only when the hostname is unknown).
        return assumed_credentials(self.aws, base, assume, f"aws-sigv4-proxy-{pod.name or int(time.time())}")

    def role(self, cluster: str, store: ko.Store, workload: ko.Obj) -> str:
        """The role the pod's credentials are for: its IRSA annotation, else its EKS Pod Identity association's."""
        namespace, account = ko.namespace_of(workload), ko.service_account_of(store, workload)
        annotated = ko.irsa_role(store, namespace, account)
        if annotated:
            return annotated
        config = self.aws.config
        association = self.aws.pod_identity.association_for(config.account, config.region, cluster, namespace, account)
        return str(association["roleArn"]) if association else ""

    def _log(self, cluster: str, namespace: str, pod: str, container: str, line: str) -> None:
        self.kube.append_pod_log(cluster, namespace, pod, container, line)


class CostModelServer:
    """One local HTTP server behind every registered service backend.

    Paths: `/model/<cluster>/<namespace>/<deployment>/<route>` (cost-model, port 9003) and
    `/frontend/<cluster>/<namespace>/<deployment>/model/<route>` (nginx on 9090 proxies /model/); `/<kind>/...` of
    another kind goes to `others[kind](cluster, namespace, deployment, route)` (3.x's frontend: kubecost_frontend3).
    """

    def __init__(self, cost_model: CostModel, others: dict[str, Answerer] | None = None) -> None:
        self.cost_model = cost_model
        self.others = dict(others or {})
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    def base_url(self, kind: str, cluster: str, namespace: str, deployment: str) -> str:
        return f"{self.url}/{kind}/{cluster}/{namespace}/{deployment}"

    def start(self) -> str:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.cost_model, self.others))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="kubecost-cost-model").start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()


def _handler(cost_model: CostModel, others: dict[str, Answerer]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return

        def _answer(self, params: str) -> None:
            path, _, query = self.path.partition("?")
            parts = path.lstrip("/").split("/", 4)
            reply = Reply.error(404, f"404 page not found: {path}")
            if len(parts) == 5:
                kind, cluster, namespace, deployment, route = parts
                if kind == "frontend" and route.startswith("model/"):
                    kind, route = "model", route.removeprefix("model/")
                if kind == "model":
                    joined = "&".join(p for p in (query, params) if p)
                    reply = cost_model.handle(cluster, namespace, deployment, route, joined)
                elif kind in others:
                    reply = others[kind](cluster, namespace, deployment, route)
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            self._answer("")

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            length = int(self.headers.get("Content-Length") or 0)
            self._answer(self.rfile.read(length).decode(errors="replace") if length else "")

    return Handler
