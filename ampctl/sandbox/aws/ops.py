"""Names an incoming AWS API request: service, operation, protocol and whether it changes anything."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, parse_qsl

# botocore's model name for a SigV4 signing name, where the two differ.
MODEL_FOR_SIGNING_NAME = {"aps": "amp"}
# Calls that change nothing in the account (AssumeRole only hands out temporary credentials).
READ_PREFIXES = ("Get", "List", "Describe", "AssumeRole")

_AUTH_SCOPE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
_model_lock = threading.Lock()


@dataclass(frozen=True)
class RequestInfo:
    service: str
    action: str
    region: str
    access_key: str
    protocol: str  # "query", "json", "rest"
    mutating: bool


def parse_scope(authorization: str) -> tuple[str, str, str, str] | None:
    """`(access_key, date, region, service)` from a SigV4 Authorization header."""
    match = _AUTH_SCOPE.search(authorization)
    if not match:
        return None
    return match.group(1), match.group(2), match.group(3), match.group(4)


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    query: tuple[tuple[str, str | None], ...]
    headers: tuple[str, ...]
    score: int
    name: str


def _required_headers(operation: Any) -> tuple[str, ...]:
    shape = operation.input_shape
    if shape is None:
        return ()
    names = []
    for member in getattr(shape, "required_members", []):
        serialization = shape.members[member].serialization
        if serialization.get("location") == "header":
            names.append("HTTP_" + str(serialization.get("name", member)).upper().replace("-", "_"))
    return tuple(names)


def _route(name: str, http: dict[str, Any], headers: tuple[str, ...]) -> _Route:
    uri = str(http.get("requestUri", "/"))
    path, _, query = uri.partition("?")
    regex = ""
    literal = 0
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("}"):
            regex += ".+" if part.endswith("+}") else "[^/]+"
        else:
            regex += re.escape(part)
            literal += len(part)
    required: list[tuple[str, str | None]] = []
    for item in filter(None, query.split("&")):
        key, eq, value = item.partition("=")
        required.append((key, value if eq else None))
    return _Route(
        method=str(http.get("method", "POST")).upper(),
        pattern=re.compile(f"^{regex}/?$"),
        query=tuple(required),
        headers=headers,
        score=literal + 100 * (len(required) + len(headers)),
        name=name,
    )


@lru_cache(maxsize=64)
def _routes(model_name: str) -> tuple[str, tuple[_Route, ...]]:
    import botocore.session

    with _model_lock:
        try:
            model = botocore.session.get_session().get_service_model(model_name)
        except Exception:
            return "", ()
        routes = tuple(
            _route(name, op.http, _required_headers(op))
            for name, op in ((n, model.operation_model(n)) for n in model.operation_names)
        )
    return str(model.metadata.get("protocol", "")), routes


def rest_operation(
    service: str, method: str, path: str, query: str, environ: dict[str, Any] | None = None
) -> str | None:
    """The botocore operation whose HTTP binding fits `method path?query` best."""
    _, routes = _routes(MODEL_FOR_SIGNING_NAME.get(service, service))
    params = parse_qs(query, keep_blank_values=True)
    best: _Route | None = None
    for route in routes:
        if route.method != method or not route.pattern.match(path):
            continue
        if any(key not in params or (value is not None and value not in params[key]) for key, value in route.query):
            continue
        if any(header not in (environ or {}) for header in route.headers):
            continue
        if best is None or route.score > best.score:
            best = route
    return best.name if best else None


def _form_action(body: bytes, query: str, content_type: str) -> str | None:
    for key, value in parse_qsl(query):
        if key == "Action":
            return value
    if content_type.startswith("application/x-www-form-urlencoded") and body:
        for key, value in parse_qsl(body.decode("utf-8", "replace")):
            if key == "Action":
                return value
    return None


def identify(environ: dict[str, Any], body: bytes, default_region: str) -> RequestInfo:
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    path = str(environ.get("PATH_INFO", "/"))
    query = str(environ.get("QUERY_STRING", ""))
    content_type = str(environ.get("CONTENT_TYPE", ""))
    scope = parse_scope(str(environ.get("HTTP_AUTHORIZATION", "")))
    access_key, region, service = "", default_region, ""
    if scope:
        access_key, _, region, service = scope
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        action = target.rpartition(".")[2]
        return RequestInfo(service, action, region, access_key, "json", not action.startswith(READ_PREFIXES))
    protocol = _routes(MODEL_FOR_SIGNING_NAME.get(service, service))[0] if service else ""
    form_action = _form_action(body, query, content_type) if protocol in ("", "query", "ec2") else None
    if form_action:
        if not service:
            service = "sts" if form_action.startswith("AssumeRoleWith") else "unknown"
        mutating = not form_action.startswith(READ_PREFIXES)
        return RequestInfo(service, form_action, region, access_key, "query", mutating)
    operation = rest_operation(service, method, path, query, environ) if service else None
    return RequestInfo(
        service or "unknown",
        operation or f"{method} {path}",
        region,
        access_key,
        "rest",
        method not in ("GET", "HEAD"),
    )
