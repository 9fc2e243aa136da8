"""WSGI middleware around moto: call log, AMP clientToken idempotency, fault injection, /_sandbox API, and the
EKS Pod Identity APIs moto lacks (ampctl.sandbox.aws.eks_pod_identity)."""

from __future__ import annotations

import collections
import contextlib
import http
import io
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from ampctl.sandbox.aws.eks_pod_identity import OPERATIONS as POD_IDENTITY_OPERATIONS
from ampctl.sandbox.aws.eks_pod_identity import PodIdentityState
from ampctl.sandbox.aws.faults import LOST, FaultInjector, answer
from ampctl.sandbox.aws.ops import RequestInfo, identify
from ampctl.sandbox.config import Faults, SandboxConfig

INTERNAL_HEADER = "X-Ampctl-Sandbox-Internal"
_INTERNAL_ENVIRON = "HTTP_" + INTERNAL_HEADER.upper().replace("-", "_")
_SERVICE_ENVIRON = "ampctl.service"
CLIENT_TOKEN_TTL = 8 * 3600.0

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Headers = list[tuple[str, str]]
Answer = tuple[int, Headers, bytes]


def read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = str(environ.get("CONTENT_LENGTH") or "")
    if length.isdigit():
        return bytes(stream.read(int(length)))
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read())
    return b""


def respond(start_response: StartResponse, status: int, headers: Headers, body: bytes) -> list[bytes]:
    phrase = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else ""
    start_response(f"{status} {phrase}".strip(), headers)
    return [body]


def with_body(headers: Headers, body: bytes) -> Headers:
    kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "transfer-encoding")]
    return kept + [("Content-Length", str(len(body)))]


def json_response(start_response: StartResponse, status: int, payload: Any) -> list[bytes]:
    body = json.dumps(payload).encode()
    return respond(start_response, status, with_body([("Content-Type", "application/json")], body), body)


class AwsMiddleware:
    def __init__(
        self,
        app: WsgiApp,
        config: SandboxConfig,
        on_reset: Callable[[], None],
        set_workspace_status: Callable[[str, str, str | None], bool],
        max_calls: int = 5000,
        judge: Callable[[RequestInfo, bytes, str, Callable[[], Answer]], Answer | None] | None = None,
        s3_refusal: Callable[[str, str, dict[str, Any]], tuple[int, bytes] | None] | None = None,
    ) -> None:
        self.judge = judge  # STS and IAM rules beyond moto's: an answer, or None to let moto answer
        self.s3_refusal = s3_refusal  # SSE-KMS for S3's callers (kms_policy.py)
        self.app = app
        self.config = config
        self.on_reset = on_reset
        self.set_workspace_status = set_workspace_status
        self.faults = FaultInjector(config.faults)
        self._calls: collections.deque[dict[str, Any]] = collections.deque(maxlen=max_calls)
        self._calls_lock = threading.Lock()
        self._iam_lock = threading.RLock()
        self._tokens: dict[tuple[str, str, str], tuple[float, int, dict[str, Any]]] = {}
        self._token_lock = threading.Lock()
        self.pod_identity = PodIdentityState()
        # Per service, bumped by every change made through it: what was read from that service before is stale.
        self.generations: collections.Counter[str] = collections.Counter()
        self._generation_lock = threading.Lock()

    # state kept outside moto

    def calls(self) -> list[dict[str, Any]]:
        with self._calls_lock:
            return [dict(call) for call in self._calls]

    def clear_calls(self) -> None:
        with self._calls_lock:
            self._calls.clear()

    def set_faults(self, faults: Faults) -> None:
        self.faults = FaultInjector(faults)

    def _changed(self, *services: str) -> None:
        with self._generation_lock:
            self.generations.update(services)

    def clear_state(self) -> None:
        self._changed("iam", "aps")
        with self._token_lock:
            self._tokens.clear()
        self.pod_identity.clear(self.config.account)
        self.clear_calls()
        self.faults.reseed()

    # WSGI

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path == "/_sandbox" or path.startswith("/_sandbox/"):
            return self._sandbox_api(environ, start_response, path)
        body = read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        if "HTTP_X_MOTO_ACCOUNT_ID" not in environ:
            from ampctl.sandbox.aws.sigv4 import request_account

            environ["HTTP_X_MOTO_ACCOUNT_ID"] = request_account(
                str(environ.get("HTTP_AUTHORIZATION", "")), self.config.account
            )
        internal = environ.pop(_INTERNAL_ENVIRON, "") == "1" or path.startswith("/moto-api")
        info = identify(environ, body, self.config.region)
        if internal:
            status, headers, out = self._dispatch(environ, info, body)
            return respond(start_response, status, headers, out)
        started = time.monotonic()
        if self.faults.latency_seconds:
            time.sleep(self.faults.latency_seconds)
        fault = self.faults.draw(f"{environ['HTTP_X_MOTO_ACCOUNT_ID']}/{info.service}:{info.action}")
        if fault == LOST or fault is None:
            status, headers, out = self._dispatch(environ, info, body)
        if fault is not None:  # answered in the change's place, or after it (LOST)
            injected = answer(fault, info)
            status, headers, out = injected.status, with_body(injected.headers, injected.body), injected.body
        self._record(environ, info, status, fault, started)
        return respond(start_response, status, headers, out)

    def _record(
        self, environ: dict[str, Any], info: RequestInfo, status: int, fault: str | None, started: float
    ) -> None:
        call = {
            "service": info.service,
            "action": info.action,
            "method": str(environ.get("REQUEST_METHOD", "")),
            "path": str(environ.get("PATH_INFO", "")),
            "mutating": info.mutating,
            "status": status,
            "fault": fault,
            "account": str(environ.get("HTTP_X_MOTO_ACCOUNT_ID", "")),
            "started": started,  # monotonic seconds: which calls waited for which (bench/)
            "ended": time.monotonic(),
        }
        with self._calls_lock:
            self._calls.append(call)

    def _call_app(self, environ: dict[str, Any]) -> tuple[int, Headers, bytes]:
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"] = status
            captured["headers"] = list(headers)
            return chunks.append

        # IAM requests reach moto one at a time: its IAM backend is not safe for two at once (moto 5.2 iam/models.py,
        # attach_role_policy iterates managed_policies while a CreatePolicy adds to it: a 500).
        serial = self._iam_lock if environ.get(_SERVICE_ENVIRON) == "iam" else contextlib.nullcontext()
        with serial:
            result = self.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        return int(str(captured["status"]).split()[0]), captured["headers"], b"".join(chunks)

    def _dispatch(self, environ: dict[str, Any], info: RequestInfo, body: bytes) -> tuple[int, Headers, bytes]:
        environ[_SERVICE_ENVIRON] = info.service
        try:
            return self._route(environ, info, body)
        finally:
            if info.mutating:  # before the answer leaves: its caller reads anew
                self._changed(info.service)

    def _route(self, environ: dict[str, Any], info: RequestInfo, body: bytes) -> tuple[int, Headers, bytes]:
        account = str(environ.get("HTTP_X_MOTO_ACCOUNT_ID", self.config.account))
        judged = self.judge(info, body, account, lambda: self._call_app(environ)) if self.judge else None
        if judged is not None:
            return judged
        if info.service == "aps" and info.action == "CreateWorkspace":
            return self._create_workspace(environ, info, body)
        if info.service == "eks" and info.action in POD_IDENTITY_OPERATIONS:
            account = str(environ.get("HTTP_X_MOTO_ACCOUNT_ID", self.config.account))
            return self.pod_identity.handle(environ, info, body, account)
        gate = self.s3_refusal if info.service == "s3" else None
        refused = gate(info.access_key, info.action, environ) if gate else None
        if refused is not None:  # KMS's part in S3's answer (ampctl.sandbox.aws.kms_policy)
            return refused[0], with_body([("Content-Type", "application/xml")], refused[1]), refused[1]
        if info.service == "s3" and info.action == "CreateBucket" and b"<Tags>" in body:
            return self._create_bucket_with_tags(environ, body)
        return self._call_app(environ)

    def _create_bucket_with_tags(self, environ: dict[str, Any], body: bytes) -> tuple[int, Headers, bytes]:
        """CreateBucketConfiguration's Tags apply with the create, as on S3 (moto ignores them)."""
        import re

        from moto.s3.models import s3_backends

        status, headers, out = self._call_app(environ)
        if 200 <= status < 300:
            text = body.decode(errors="replace")
            tags = dict(re.findall(r"<Tag>\s*<Key>(.*?)</Key>\s*<Value>(.*?)</Value>\s*</Tag>", text, re.S))
            bucket = str(environ.get("PATH_INFO", "")).strip("/").split("/")[0]
            account = str(environ.get("HTTP_X_MOTO_ACCOUNT_ID", self.config.account))
            s3_backends[account]["aws"].put_bucket_tagging(bucket, tags)
        return status, headers, out

    def _create_workspace(self, environ: dict[str, Any], info: RequestInfo, body: bytes) -> tuple[int, Headers, bytes]:
        """AMP keeps a clientToken for 8 hours: a repeat returns the first workspace, creates nothing."""
        try:
            token = json.loads(body or b"{}").get("clientToken")
        except (ValueError, AttributeError):
            token = None
        if not token:
            return self._call_app(environ)
        key = (str(environ.get("HTTP_X_MOTO_ACCOUNT_ID", self.config.account)), info.region, str(token))
        with self._token_lock:
            now = time.monotonic()
            for stale in [k for k, (t, _, _) in self._tokens.items() if now - t > CLIENT_TOKEN_TTL]:
                del self._tokens[stale]
            if key in self._tokens:
                _, status, first = self._tokens[key]
                answer = dict(first)
                current = _workspace_status(key[0], key[1], str(first.get("workspaceId", "")))
                if current is not None:
                    answer["status"] = current
                out = json.dumps(answer).encode()
                return status, with_body([("Content-Type", "application/json")], out), out
            status, headers, out = self._call_app(environ)
            if 200 <= status < 300:
                with contextlib.suppress(ValueError):
                    self._tokens[key] = (now, status, json.loads(out))
            return status, headers, out

    def _sandbox_api(self, environ: dict[str, Any], start_response: StartResponse, path: str) -> list[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        if path == "/_sandbox/calls" and method == "GET":
            return json_response(start_response, 200, self.calls())
        if path == "/_sandbox/calls/clear" and method == "POST":
            self.clear_calls()
            return json_response(start_response, 200, {"cleared": True})
        if path == "/_sandbox/reset" and method == "POST":
            self.on_reset()
            return json_response(start_response, 200, {"reset": True})
        if path == "/_sandbox/faults":
            return self._faults_api(environ, start_response, method)
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[1] == "workspaces" and parts[3] == "status" and method == "POST":
            try:
                payload = json.loads(read_body(environ) or b"{}")
                code = str(payload["statusCode"])
            except (ValueError, KeyError, TypeError):
                return json_response(start_response, 400, {"message": 'body must be {"statusCode": ...}'})
            region = payload.get("region")
            if not self.set_workspace_status(parts[2], code, str(region) if region else None):
                return json_response(start_response, 404, {"message": f"workspace {parts[2]} not found"})
            return json_response(start_response, 200, {"workspaceId": parts[2], "statusCode": code})
        return json_response(start_response, 404, {"message": f"no sandbox route {method} {path}"})

    def _faults_api(self, environ: dict[str, Any], start_response: StartResponse, method: str) -> list[bytes]:
        """GET the fault settings; POST new ones (omitted fields are zero), which restarts their random sequence."""
        from dataclasses import asdict, fields

        if method == "POST":
            try:
                payload = json.loads(read_body(environ) or b"{}")
                known = {f.name for f in fields(Faults)}
                if not isinstance(payload, dict) or set(payload) - known:
                    raise ValueError(f"known fields: {sorted(known)}")
                self.set_faults(Faults(**payload))
            except (ValueError, TypeError) as exc:
                return json_response(start_response, 400, {"message": f"bad fault settings: {exc}"})
        return json_response(start_response, 200, asdict(self.faults.faults))


def _workspace_status(account: str, region: str, workspace_id: str) -> dict[str, Any] | None:
    from moto.amp.models import amp_backends

    workspace = amp_backends[account][region].workspaces.get(workspace_id)
    return dict(workspace.status) if workspace is not None else None
