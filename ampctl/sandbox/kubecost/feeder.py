"""The bundled Prometheus server's remote write to AMP, played from its rendered Deployment and
`prometheus.yml`, with the credentials of the role its service account is annotated with."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ampctl.sandbox.amp.remote_write import HEADERS, Series, encode_write_request
from ampctl.sandbox.aws.iam_eval import Credentials
from ampctl.sandbox.config import OPERATOR_ACCESS_KEY, OPERATOR_SECRET_KEY
from ampctl.sandbox.kubecost import objects as ko
from ampctl.sandbox.kubecost.aws import AMP_HOST, CredentialError, send
from ampctl.sandbox.kubecost.logs import logfmt
from ampctl.sandbox.kubecost.series import cluster_series, node_series, pod_series

if TYPE_CHECKING:
    from ampctl.sandbox.kubeapi import KubeEmulator
    from ampctl.sandbox.kubecost.costmodel import CostModel

_RECOVERABLE = {429} | set(range(500, 600))
QUEUE_CALLER = "dedupe.go:112"


def is_prometheus_server(workload: ko.Obj) -> bool:
    name = str(workload["metadata"]["name"])
    return name.endswith("-prometheus-server") and ko.container(ko.pod_spec(workload), ko.PROMETHEUS_SERVER) is not None


def prometheus_start_lines(workload: ko.Obj) -> list[tuple[str, str]]:
    """(container, line)s a prometheus-server pod logs when it starts."""
    server = ko.container(ko.pod_spec(workload), ko.PROMETHEUS_SERVER) or {}
    version = str(server.get("image", "")).rpartition(":")[2].lstrip("v") or "2.35.0"
    return [
        (ko.PROMETHEUS_SERVER, line)
        for line in (
            logfmt("info", "Starting Prometheus Server", "main.go:543", mode="server", version=f"(version={version})"),
            logfmt("info", "Server is ready to receive web requests.", "main.go:976"),
        )
    ]


@dataclass(frozen=True)
class ExtraWriter:
    cluster_id: str
    workspace_id: str
    region: str


class Feeder:
    def __init__(self, kube: KubeEmulator, amp_url: str, cost_model: CostModel) -> None:
        self.kube = kube
        self.amp_url = amp_url
        self.cost_model = cost_model
        self._config_errors: dict[tuple[str, str], str] = {}  # (cluster, pod) -> last logged error

    def tick(self, cluster: str, region: str) -> None:
        """One scrape-and-send round for every prometheus-server in the cluster."""
        store = self.kube.store(cluster)
        for workload in store.list("apps/v1", "deployments"):
            if is_prometheus_server(workload):
                pod = ko.serving_pod(store, workload)
                if pod is not None:
                    self._write(cluster, region, store, workload, str(pod["metadata"]["name"]))

    def _write(self, cluster: str, region: str, store: ko.Store, workload: ko.Obj, pod: str) -> None:
        namespace = ko.namespace_of(workload)

        def log(line: str) -> None:
            self.kube.append_pod_log(cluster, namespace, pod, ko.PROMETHEUS_SERVER, line)

        path, text = ko.prometheus_config(store, workload)
        try:
            if text is None:
                raise ko.ConfigError(f"open {path}: no such file or directory")
            config = ko.parse_prometheus_config(path, text)
        except ko.ConfigError as exc:
            if self._config_errors.get((cluster, pod)) != str(exc):
                self._config_errors[(cluster, pod)] = str(exc)
                log(
                    logfmt(
                        "error", f"Error loading config (--config.file={path})", "main.go:1160", file=path, err=str(exc)
                    )
                )
            return
        self._config_errors.pop((cluster, pod), None)
        external = {str(k): str(v) for k, v in ((config.get("global") or {}).get("external_labels") or {}).items()}
        series = cluster_series(store, region, external)
        for target in config.get("remote_write") or []:
            if isinstance(target, dict):
                self._send_queue(cluster, region, store, workload, target, series, log)

    def _send_queue(
        self,
        cluster: str,
        region: str,
        store: ko.Store,
        workload: ko.Obj,
        target: dict[str, Any],
        series: list[Series],
        log: Callable[[str], None],
    ) -> None:
        url = str(target.get("url", ""))
        queue = hashlib.sha256(json.dumps(target, sort_keys=True, default=str).encode()).hexdigest()[:6]
        fields = {"component": "remote", "remote_name": queue, "url": url}
        sigv4 = target.get("sigv4")
        credentials: Credentials | None = None
        if isinstance(sigv4, dict):  # `sigv4: {}` signs with the defaults; no key sends unsigned
            try:
                credentials = self._credentials(cluster, store, workload, sigv4)
            except CredentialError as exc:
                log(
                    logfmt("warn", "Failed to send batch, retrying", QUEUE_CALLER, **fields, err=f'Post "{url}": {exc}')
                )
                return
        signing_region = str(sigv4.get("region") or region) if isinstance(sigv4, dict) else region
        error = self.post(url, series, signing_region, credentials)
        if error is not None:
            status, message = error
            if status is None or status in _RECOVERABLE:
                log(logfmt("warn", "Failed to send batch, retrying", QUEUE_CALLER, **fields, err=message))
            else:
                log(
                    logfmt(
                        "error",
                        "non-recoverable error",
                        QUEUE_CALLER,
                        **fields,
                        count=len(series),
                        exemplarCount=0,
                        err=message,
                    )
                )

    def _credentials(self, cluster: str, store: ko.Store, workload: ko.Obj, sigv4: dict[str, Any]) -> Credentials:
        if sigv4.get("access_key") and sigv4.get("secret_key"):
            return Credentials(str(sigv4["access_key"]), str(sigv4["secret_key"]), "")
        return self.cost_model.credentials(cluster, store, workload, str(sigv4.get("role_arn") or "") or None)

    def post(
        self, url: str, series: list[Series], region: str, credentials: Credentials | None
    ) -> tuple[int | None, str] | None:
        """Remote-write `series` to `url` (sent to the AMP emulator); None, or (HTTP status, Prometheus' error)."""
        host = urlsplit(url).hostname or ""
        if not AMP_HOST.match(host):
            return None, f'Post "{url}": dial tcp: lookup {host}: no such host'
        body = encode_write_request(series)
        try:
            answer = send(
                self.amp_url, "POST", url, region=region, credentials=credentials, body=body, headers=dict(HEADERS)
            )
        except OSError as exc:
            return None, f'Post "{url}": {exc}'
        if answer.status // 100 == 2:
            return None
        text = answer.body.decode(errors="replace").strip()
        phrase = f"{answer.status} {answer.reason}".strip()
        return answer.status, f"server returned HTTP status {phrase}: {text}"

    def write_extra(self, writer: ExtraWriter) -> tuple[int | None, str] | None:
        """Series under `writer.cluster_id`, signed with the operator's credentials."""
        now_ms = int(time.time() * 1000)
        node = f"ip-10-9-0-1.{writer.region}.compute.internal"
        external = {"cluster_id": writer.cluster_id}
        pod = {
            "metadata": {"name": "extra-workload-0", "namespace": "default"},
            "spec": {"containers": [{"name": "app"}]},
        }
        series = pod_series([pod], [node], external, now_ms) + node_series([(node, "t3.medium")], external, now_ms)
        url = (
            f"https://aps-workspaces.{writer.region}.amazonaws.com/workspaces/{writer.workspace_id}/api/v1/remote_write"
        )
        operator = Credentials(OPERATOR_ACCESS_KEY, OPERATOR_SECRET_KEY, "")
        return self.post(url, series, writer.region, operator)
