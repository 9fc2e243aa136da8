"""The AMP data plane on 127.0.0.1: SigV4 and IAM checked like AWS, one real Prometheus per workspace.

Routes: /workspaces/<id>/api/v1/{query,query_range,series,labels,label/<name>/values,metadata}
(GET, or form POST) and /workspaces/<id>/api/v1/remote_write (POST, snappy protobuf).
Order of checks: signature (403), Host region (403), workspace (404/409), IAM (403), route (404).
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ampctl.sandbox.amp.prometheus import PrometheusError, PrometheusPool
from ampctl.sandbox.aws.iam_eval import is_allowed, role_policies, user_policies
from ampctl.sandbox.aws.middleware import read_body, respond, with_body
from ampctl.sandbox.aws.sigv4 import Principal, SigV4Error, verify

if TYPE_CHECKING:
    from ampctl.sandbox.aws.emulator import AwsEmulator

StartResponse = Callable[..., Any]

_PATH = re.compile(r"^/workspaces/(?P<ws>[^/]+)/api/v1/(?P<rest>.+?)/?$")
_HOST_REGION = re.compile(r"^aps-workspaces\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(:\d+)?$")
_READS = {
    "query": "aps:QueryMetrics",
    "query_range": "aps:QueryMetrics",
    "series": "aps:GetSeries",
    "labels": "aps:GetLabels",
    "metadata": "aps:GetMetricMetadata",
}
_LABEL_VALUES = re.compile(r"^label/[^/]+/values$")
# Workspace states that answer as if the workspace were not there, and those that conflict.
_GONE = {"CREATION_FAILED", "DELETING"}
_USABLE = {"ACTIVE", "UPDATING"}
FORWARD_HEADERS = ("content-type", "content-encoding", "x-prometheus-remote-write-version", "accept")


def required_action(rest: str) -> str | None:
    if rest == "remote_write":
        return "aps:RemoteWrite"
    if _LABEL_VALUES.match(rest):
        return "aps:GetLabels"
    return _READS.get(rest)


def error(start_response: StartResponse, status: int, code: str, message: str) -> list[bytes]:
    body = json.dumps({"message": message}).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", code),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ]
    return respond(start_response, status, with_body(headers, body), body)


class AmpEmulator:
    def __init__(
        self,
        aws: AwsEmulator,
        prometheus_bin: str,
        data_dir: Path,
        workspace_cache_seconds: float = 1.0,
    ) -> None:
        self.aws = aws
        self.pool = PrometheusPool(prometheus_bin, Path(data_dir))
        self.workspace_cache_seconds = workspace_cache_seconds
        self.endpoint = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._cache: dict[tuple[str, str, str], tuple[float, dict[str, Any] | None, int]] = {}
        self._cache_lock = threading.Lock()

    def start(self) -> str:
        if self._server is not None:
            return self.endpoint
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                return None

        self.pool.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=QuietHandler)
        port = self._server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"amp-{port}", daemon=True
        )
        self._thread.start()
        return self.endpoint

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=10)
        self.pool.stop()

    def child_pids(self) -> list[int]:
        return self.pool.pids()

    # checks

    def workspace(self, region: str, workspace_id: str, account: str | None = None) -> dict[str, Any] | None:
        """The workspace as AMP sees it for a caller of `account` (a workspace id is looked up in the caller's
        account, so another account's credentials do not find it)."""
        account = account or self.aws.config.account
        key = (account, region, workspace_id)
        now, generation = time.monotonic(), self.aws.generation("aps")  # a workspace changed since is read again
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None and now - cached[0] < self.workspace_cache_seconds and cached[2] == generation:
                return cached[1]
        found: dict[str, Any] | None
        try:
            found = self.aws.client("amp", region, account).describe_workspace(workspaceId=workspace_id)["workspace"]
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code not in ("ResourceNotFoundException", "ValidationException"):
                raise
            found = None
        with self._cache_lock:
            self._cache[key] = (now, found, generation)
        return found

    def authorized(self, principal: Principal, action: str, resource: str) -> bool:
        if principal.kind == "operator":
            return True
        if principal.kind == "assumed-role" and principal.role_arn:
            return is_allowed(role_policies(self.aws, principal.role_arn), action, resource)
        if principal.kind == "user" and principal.user_name:
            account = principal.arn.split(":")[4]
            return is_allowed(user_policies(self.aws, principal.user_name, account), action, resource)
        return False

    # WSGI

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = read_body(environ)
        try:
            principal, auth = verify(environ, body, "aps", self.aws.config.account)
        except SigV4Error as exc:
            return error(start_response, exc.status, exc.code, exc.message)
        host = str(environ.get("HTTP_HOST", ""))
        host_match = _HOST_REGION.match(host)
        if host_match and host_match.group("region") != auth.region:
            # IAM User Guide, "Troubleshoot signed requests for AWS APIs": "Credential should be scoped to a valid
            # Region, not region-code" (the region the credential scope names).
            said = f"Credential should be scoped to a valid region, not '{auth.region}'."
            return error(start_response, 403, "InvalidSignatureException", said)
        match = _PATH.match(str(environ.get("PATH_INFO", "")))
        if not match:
            return error(start_response, 404, "ResourceNotFoundException", "Not Found")
        workspace_id, rest = match.group("ws"), match.group("rest")
        workspace = self.workspace(auth.region, workspace_id, principal.arn.split(":")[4] or None)
        status = str((workspace or {}).get("status", {}).get("statusCode", ""))
        if workspace is None or status in _GONE:
            return error(start_response, 404, "ResourceNotFoundException", f"Workspace not found: {workspace_id}")
        if status not in _USABLE:
            return error(start_response, 409, "ConflictException", f"Workspace {workspace_id} is in status {status}")
        action = required_action(rest)
        if action is None:
            return error(start_response, 404, "ResourceNotFoundException", "Not Found")
        arn = str(workspace["arn"])
        if not self.authorized(principal, action, arn):
            return error(
                start_response,
                403,
                "AccessDeniedException",
                f"User: {principal.arn} is not authorized to perform: {action} on resource: {arn}",
            )
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        if action == "aps:RemoteWrite" and method != "POST":
            return error(start_response, 405, "ValidationException", "remote_write takes POST")
        if action != "aps:RemoteWrite" and method not in ("GET", "POST"):
            return error(start_response, 405, "ValidationException", f"{method} is not allowed")
        return self._forward(environ, start_response, workspace_id, rest, method, body)

    def _forward(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        workspace_id: str,
        rest: str,
        method: str,
        body: bytes,
    ) -> list[bytes]:
        try:
            prometheus = self.pool.get(workspace_id)
        except PrometheusError as exc:
            return error(start_response, 503, "ServiceUnavailableException", str(exc))
        target = "/api/v1/write" if rest == "remote_write" else f"/api/v1/{rest}"
        query = str(environ.get("QUERY_STRING", ""))
        if query:
            target += f"?{query}"
        headers: dict[str, str] = {}
        for name in FORWARD_HEADERS:
            key = "CONTENT_TYPE" if name == "content-type" else "HTTP_" + name.upper().replace("-", "_")
            if environ.get(key):
                headers[name] = str(environ[key])
        conn = http.client.HTTPConnection(*prometheus.address, timeout=120)
        try:
            conn.request(method, target, body=body if method == "POST" else None, headers=headers)
            answer = conn.getresponse()
            payload = answer.read()
            out_headers = [
                (k, v) for k, v in answer.getheaders() if k.lower() in ("content-type", "content-encoding", "warning")
            ]
            out_headers.append(("x-amzn-RequestId", str(uuid.uuid4())))
            return respond(start_response, answer.status, with_body(out_headers, payload), payload)
        except OSError as exc:
            return error(start_response, 503, "ServiceUnavailableException", f"backend unavailable: {exc}")
        finally:
            conn.close()
