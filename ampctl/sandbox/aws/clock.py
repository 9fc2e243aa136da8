"""The sandbox's AWS clock: the real time plus an offset, in the `Date` header of every answer the AWS emulator gives.

What the offset touches, and why only that: ampctl reads "AWS's current time" from the `Date` header of an AWS
answer (ampctl.aws.clock.aws_now), e.g. to tell how long the finops-agent has run (Kubecost 2.9 to 3.x: "The
finops-agent must run for 2 days before upgrading to 3.x", kubecost/kubecost v2.9.7 examples/README.md, step 6).
Moving that header alone lets the sandbox show a time two days on without moving anything that compares times:

- SigV4: the emulator checks X-Amz-Date against the real time (ampctl.sandbox.aws.sigv4.verify, 15 minutes either
  way), and boto3 signs with the local clock, so signatures stay valid. botocore reads `Date` only to set the
  retry TTL of its next attempt (botocore endpoint.py `_set_ttl`); it does not correct its signing clock from it.
- STS and credential expiry (moto's AssumeRole/AssumeRoleWithWebIdentity `Expiration`, checked in sigv4.verify)
  and S3 `LastModified` stay real: moto stamps them with its own `utcnow()` (moto core/utils.py). doctor compares
  `LastModified` with the local clock, which the offset does not touch either.
- The Kubernetes API emulator stamps `metadata.creationTimestamp` with the real time, as an API server does.

So an offset of two days makes a Deployment created now look two days old to whatever measures age as
`aws_now(answer) - creationTimestamp`, and nothing else changes. The AMP emulator (a separate endpoint) keeps the
real time.

The `Date` header: http.server's `BaseHTTPRequestHandler.send_response` adds it from `date_time_string()`
(werkzeug's request handler calls it for every answer; moto adds no `date` of its own when served by werkzeug:
moto core/responses.py, `if not self.is_werkzeug_request`). Its format is RFC 7231's IMF-fixdate (section 7.1.1.1),
which `email.utils.formatdate(usegmt=True)` writes.

GET  /_sandbox/clock                            {"offset_seconds", "aws_now", "real_now", "start_offset_seconds"}
POST /_sandbox/clock  {"advance_seconds": N}    move AWS's clock on by N seconds (N >= 0)
POST /_sandbox/clock  {"reset": true}           back to the offset the sandbox started with (also on /_sandbox/reset)
"""

from __future__ import annotations

import datetime
import email.utils
import json
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

ROUTE = "/_sandbox/clock"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _iso(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).isoformat().replace("+00:00", "Z")


class SandboxClock:
    """AWS's time in the sandbox: the real time plus an offset that only moves forward (or back to its start)."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        if not math.isfinite(offset_seconds) or offset_seconds < 0:
            raise ValueError(f"the clock offset must be a non-negative number of seconds, not {offset_seconds}")
        self.start_offset = float(offset_seconds)
        self._offset = self.start_offset
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> float:
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"advance_seconds must be a non-negative number, not {seconds}")
        with self._lock:
            self._offset += seconds
            return self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = self.start_offset

    def now(self) -> float:
        """AWS's time in the sandbox, in seconds since the epoch."""
        return time.time() + self.offset

    def date_header(self, timestamp: float | None = None) -> str:
        """The `Date` header's value: an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 7231 7.1.1.1)."""
        real = time.time() if timestamp is None else timestamp
        return email.utils.formatdate(real + self.offset, usegmt=True)

    def describe(self) -> dict[str, Any]:
        real = time.time()
        offset = self.offset
        return {
            "offset_seconds": offset,
            "start_offset_seconds": self.start_offset,
            "aws_now": _iso(real + offset),
            "real_now": _iso(real),
        }

    def wsgi(self, app: WsgiApp) -> WsgiApp:
        """`app` with the clock's route in front of it."""

        def serve(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
            if environ.get("PATH_INFO") != ROUTE:
                return app(environ, start_response)
            status, payload = self._route(environ)
            body = json.dumps(payload).encode()
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]

        return serve

    def _route(self, environ: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        if method == "POST":
            length = str(environ.get("CONTENT_LENGTH") or "0")
            raw = environ["wsgi.input"].read(int(length)) if length.isdigit() and int(length) else b"{}"
            try:
                payload = json.loads(raw or b"{}")
                if not isinstance(payload, dict) or set(payload) - {"advance_seconds", "reset"}:
                    raise ValueError('the body is {"advance_seconds": N} or {"reset": true}')
                if payload.get("reset"):
                    self.reset()
                if "advance_seconds" in payload:
                    self.advance(float(payload["advance_seconds"]))
            except (ValueError, TypeError) as exc:
                return "400 Bad Request", {"message": f"bad clock request: {exc}"}
        elif method != "GET":
            return "405 Method Not Allowed", {"message": f"{method} {ROUTE}: use GET or POST"}
        return "200 OK", self.describe()


def with_date(handler: type[Any], clock: SandboxClock) -> type[Any]:
    """`handler` (an http.server request handler) whose `Date` header tells `clock`'s time."""

    class ClockedHandler(handler):
        def date_time_string(self, timestamp: float | None = None) -> str:
            return clock.date_header(timestamp)

    return ClockedHandler


def request(aws_endpoint: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The running sandbox's clock (GET), or the clock after a change (POST `body`)."""
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{aws_endpoint}{ROUTE}", data=data, method="GET" if data is None else "POST")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as answer:
        found: dict[str, Any] = json.loads(answer.read())
    return found
