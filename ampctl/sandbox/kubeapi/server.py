"""The HTTP/1.1 server of one cluster: routing of non-resource paths, responses and watch streams."""

from __future__ import annotations

import contextlib
import json
import logging
import select
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import ampctl.sandbox.kubeapi.api as api
import ampctl.sandbox.kubeapi.discovery as discovery
import ampctl.sandbox.kubeapi.resources as resources
import ampctl.sandbox.kubeapi.routing as routing
from ampctl.sandbox.kubeapi.cluster import Cluster
from ampctl.sandbox.kubeapi.messages import Request, Response, error_response, json_response
from ampctl.sandbox.kubeapi.status import ApiError, method_not_allowed, no_such_path
from ampctl.sandbox.kubeapi.watch import WatchClosed

log = logging.getLogger(__name__)
HEALTH = ("/healthz", "/readyz", "/livez")
POLL_SECONDS = 0.5


class ClusterServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, cluster: Cluster, address: tuple[str, int]) -> None:
        self.cluster = cluster
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def non_resource(cluster: Cluster, req: Request) -> Response | None:
    """Answers for discovery, OpenAPI, version, health and sandbox paths; None for other paths."""
    path, accept = req.path.rstrip("/") or "/", req.headers.get("accept", "")
    if path.startswith("/_sandbox/"):
        return _sandbox(cluster, req, path)
    if req.method not in ("GET", "HEAD"):
        return None
    if path == "/version":
        return json_response(200, discovery.version_info())
    if path in HEALTH or any(path.startswith(h + "/") for h in HEALTH):
        return Response(200, b"ok", "text/plain")
    if path in ("/api", "/apis") and (variant := discovery.aggregated_variant(accept)):
        response = json_response(200, discovery.aggregated(path == "/api", variant), variant)
        response.headers["Vary"] = "Accept"
        return response
    if path == "/api":
        return json_response(200, discovery.api_versions(cluster.address))
    if path == "/apis":
        return json_response(200, discovery.api_group_list())
    if path == "/openapi/v2":
        if "protobuf" in accept and "application/json" not in accept.split("protobuf", 1)[0]:
            return Response(200, discovery.openapi_v2_protobuf(), discovery.OPENAPI_V2_PROTOBUF)
        return json_response(200, discovery.openapi_v2_json())
    if path == "/openapi/v3":
        return json_response(200, discovery.openapi_v3_root())
    if path.startswith("/openapi/v3/"):
        group_version = path[len("/openapi/v3/") :].removeprefix("api/").removeprefix("apis/")
        if group_version not in resources.group_versions():
            raise no_such_path()
        return json_response(200, discovery.openapi_v3_document(group_version))
    segments = path.strip("/").split("/")
    if segments[0] == "api" and len(segments) == 2:
        found = discovery.api_resource_list(segments[1])
        return json_response(200, found) if found else None
    if segments[0] == "apis" and len(segments) == 2:
        group = discovery.api_group(segments[1])
        return json_response(200, group) if group else None
    if segments[0] == "apis" and len(segments) == 3:
        found = discovery.api_resource_list(f"{segments[1]}/{segments[2]}")
        return json_response(200, found) if found else None
    return None


def _sandbox(cluster: Cluster, req: Request, path: str) -> Response:
    if path == "/_sandbox/reset":
        if req.method != "POST":
            raise method_not_allowed()
        cluster.reset()
        return json_response(200, {"reset": cluster.name})
    if path == "/_sandbox/pvc-binding":  # ?enabled=false holds every claim Pending (until reset)
        if req.method != "POST":
            raise method_not_allowed()
        cluster.controller.set_pvc_binding(req.flag("enabled"))
        return json_response(200, {"pvcBinding": req.flag("enabled")})
    if path == "/_sandbox/requests":
        if req.flag("recent"):
            return json_response(200, cluster.requests.recent())
        return json_response(200, cluster.requests.snapshot())
    raise no_such_path()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ClusterServer
    timeout = 300
    _headers_buffer: list[bytes]

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:  # noqa: N802
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        cluster = self.server.cluster
        split = urllib.parse.urlsplit(self.path)
        req = Request(
            self.command,
            split.path or "/",
            split.query,
            {k.lower(): v for k, v in self.headers.items()},
            self._read_body(),
        )
        result: Response | api.WatchStream | None
        try:
            result = non_resource(cluster, req)
            if result is None:
                target = routing.parse(req.path)
                if target is None:
                    raise no_such_path()
                result = api.handle(cluster, req, target)
        except ApiError as exc:
            result = error_response(exc)
        except Exception as exc:
            log.exception("%s %s failed", self.command, self.path)
            result = error_response(ApiError(500, f"internal error: {exc}", "InternalError"))
        if not req.path.startswith("/_sandbox/"):
            status = 200 if isinstance(result, api.WatchStream) else result.status
            cluster.requests.add(self.command, self.path, req.headers.get("content-type", ""), status)
        if isinstance(result, api.WatchStream):
            self._stream(result)
        else:
            self._send(result)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(response.body)
        self.flush_headers()  # headers and body in one write

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _event(self, kind: str, obj: dict[str, Any]) -> None:
        self._chunk(json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n")

    def _client_gone(self) -> bool:
        try:
            readable, _w, _x = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _stream(self, stream: api.WatchStream) -> None:
        store, watcher = stream.cluster.store, stream.watcher
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        try:
            if stream.error is not None:
                self._event("ERROR", stream.error.status)
            else:
                self._follow(stream)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (OSError, ValueError):
            self.close_connection = True
        finally:
            store.stop_watch(watcher)

    def _follow(self, stream: api.WatchStream) -> None:
        watcher = stream.watcher
        for first in stream.initial:
            event = watcher.translate(first)
            if event:
                self._event(*event)
        if stream.initial_events_end:
            rt = resources.lookup(watcher.group_version, watcher.plural)
            assert rt is not None
            self._event(
                "BOOKMARK",
                {
                    "kind": rt.kind,
                    "apiVersion": rt.group_version,
                    "metadata": {
                        "resourceVersion": str(stream.resource_version),
                        "annotations": {"k8s.io/initial-events-end": "true"},
                    },
                },
            )
        deadline = time.monotonic() + stream.timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                change = watcher.next(min(remaining, POLL_SECONDS))
            except WatchClosed:
                if watcher.overflowed:
                    self._event("ERROR", ApiError(410, "watch fell too far behind", "Expired").status)
                return
            if change is None:
                if self._client_gone():
                    raise ConnectionResetError("watch client went away")
                continue
            event = watcher.translate(change)
            if event:
                self._event(*event)
