"""The services `proxy` subresource: forward a request to a registered local HTTP backend."""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any

from ampctl.sandbox.kubeapi.resources import lookup
from ampctl.sandbox.kubeapi.status import ApiError, not_found, service_unavailable

FORWARDED_HEADERS = ("content-type", "accept", "accept-encoding")
RETURNED_HEADERS = ("content-type", "content-encoding")


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class ServiceBackends:
    """base URLs of the local servers standing in for services, by (namespace, service, port)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._backends: dict[tuple[str, str, str], str] = {}

    def register(self, namespace: str, service: str, port: str | int, base_url: str) -> None:
        with self._lock:
            self._backends[(namespace, service, str(port))] = base_url.rstrip("/")

    def unregister(self, namespace: str, service: str, port: str | int) -> None:
        with self._lock:
            self._backends.pop((namespace, service, str(port)), None)

    def clear(self) -> None:
        with self._lock:
            self._backends.clear()

    def find(self, namespace: str, service: str, ports: list[str]) -> str | None:
        with self._lock:
            for port in ports:
                if (namespace, service, port) in self._backends:
                    return self._backends[(namespace, service, port)]
        return None


def parse_service_ref(ref: str) -> tuple[str, str]:
    """`name`, `name:port` or `scheme:name:port` -> (name, port or "")."""
    parts = ref.split(":")
    if len(parts) == 3:
        return parts[1], parts[2]
    if len(parts) == 2:
        return parts[0], parts[1]
    return ref, ""


def _service_port(service: dict[str, Any], wanted: str) -> dict[str, Any] | None:
    ports = (service.get("spec") or {}).get("ports") or []
    if not wanted:
        return ports[0] if ports else None
    for port in ports:
        if port.get("name") == wanted or str(port.get("port")) == wanted:
            return port
    return None


def resolve_backend(service: dict[str, Any] | None, backends: ServiceBackends, namespace: str, ref: str) -> str:
    name, wanted = parse_service_ref(ref)
    rt = lookup("v1", "services")
    assert rt is not None
    if service is None:
        raise not_found(rt, name)
    port = _service_port(service, wanted)
    if port is None:
        raise service_unavailable(f'no endpoints available for service "{ref}"')
    candidates = [str(port.get("name", "")), str(port.get("port", "")), wanted]
    base = backends.find(namespace, name, [c for c in candidates if c])
    if base is None:
        raise service_unavailable(f'no endpoints available for service "{name}"')
    return base


def forward(
    base_url: str, method: str, path: str, query: str, headers: dict[str, str], body: bytes, timeout: float = 30.0
) -> ProxyResponse:
    target = urllib.parse.urlsplit(base_url)
    full_path = (target.path.rstrip("/") + "/" + path.lstrip("/")) or "/"
    if query:
        full_path += "?" + query
    conn_type = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    conn = conn_type(target.hostname or "127.0.0.1", target.port, timeout=timeout)
    try:
        conn.request(
            method,
            full_path,
            body=body or None,
            headers={k: v for k, v in headers.items() if k.lower() in FORWARDED_HEADERS},
        )
        response = conn.getresponse()
        data = response.read()
        kept = {k.lower(): v for k, v in response.getheaders() if k.lower() in RETURNED_HEADERS}
        return ProxyResponse(response.status, kept, data)
    except (OSError, http.client.HTTPException) as exc:
        raise ApiError(503, f"error trying to reach service: {exc}", "ServiceUnavailable") from exc
    finally:
        conn.close()
