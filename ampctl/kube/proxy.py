"""GET through the Kubernetes API server's service proxy (`/api/v1/namespaces/{ns}/services/{name}:{port}/proxy/...`,
Kubernetes API reference, Service v1 "proxy" operations): how doctor reaches Kubecost's HTTP APIs inside a cluster
without a port-forward."""

from __future__ import annotations

from typing import Any

PATH = "/api/v1/namespaces/{namespace}/services/{name}/proxy/"


class Unreachable(Exception):
    """The API server itself could not be reached (no HTTP answer at all)."""


def get(
    api: Any, namespace: str, service: str, path: str, query: list[tuple[str, str]], timeout: float
) -> tuple[int, bytes]:
    """(HTTP status, body) of `GET path?query` on `service` (`name:port`), as the API server's proxy answers it: the
    service's own answer, or the API server's (503 when no endpoint is ready). Both client generations: kubernetes
    >= 31 (param_serialize) and older (call_api with a path). `path` is ampctl's own constant, written into the URL
    as it is: as a path parameter the client would encode its slashes (`model%2Fhealthz`)."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    params = {"namespace": namespace, "name": service}
    resource = PATH + path
    try:
        if hasattr(api, "param_serialize"):
            method, url, headers, _, _ = api.param_serialize(
                "GET", resource, path_params=params, query_params=query, header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
            )  # fmt: skip
            response = api.call_api(method, url, header_params=headers, _request_timeout=timeout)
            response.read()
            return int(response.status), bytes(response.data or b"")
        answer = api.call_api(
            resource, "GET", path_params=params, query_params=query, auth_settings=["BearerToken"],
            _preload_content=False, _request_timeout=timeout,
        )  # fmt: skip
        raw = answer[0] if isinstance(answer, tuple) else answer
        return int(raw.status), bytes(raw.data or b"")
    except ApiException as exc:
        body = exc.body if isinstance(exc.body, bytes) else str(exc.body or "").encode()
        return int(exc.status or 0), body
    except (HTTPError, OSError) as exc:
        raise Unreachable(f"cannot reach the Kubernetes API server: {exc}") from exc
