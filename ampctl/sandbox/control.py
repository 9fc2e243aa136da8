"""The sandbox's control port: the stand-in chart repository and knobs for the Kubecost stand-in.

GET  /charts/<file>                       helm chart repository (index.yaml and chart archives)
POST /_sandbox/feeder  {"cluster", "paused"}                  pause or resume one cluster's feeder
POST /_sandbox/writer  {"cluster_id", "workspace_id", "region"}  write series under another cluster_id
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ampctl.sandbox.kubecost.standin import KubecostStandIn


class ControlServer:
    def __init__(self, charts_dir: Path, standin: KubecostStandIn) -> None:
        self.charts_dir = charts_dir
        self.standin = standin
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="sandbox-control").start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()


def _make_handler(control: ControlServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            name = self.path.split("?", 1)[0].removeprefix("/charts/")
            path = control.charts_dir / name
            if self.path.startswith("/charts/") and "/" not in name and path.is_file():
                kind = "application/x-yaml" if name.endswith(".yaml") else "application/gzip"
                self._send(HTTPStatus.OK, path.read_bytes(), kind)
            else:
                self._send(HTTPStatus.NOT_FOUND, b'{"error": "not found"}')

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path == "/_sandbox/feeder":
                    control.standin.pause_feeder(body["cluster"], bool(body.get("paused", True)))
                elif self.path == "/_sandbox/writer":
                    control.standin.add_extra_writer(body["cluster_id"], body["workspace_id"], body["region"])
                else:
                    self._send(HTTPStatus.NOT_FOUND, b'{"error": "not found"}')
                    return
            except (KeyError, ValueError) as exc:
                self._send(HTTPStatus.BAD_REQUEST, json.dumps({"error": str(exc)}).encode())
                return
            self._send(HTTPStatus.OK, b'{"ok": true}')

    return Handler
