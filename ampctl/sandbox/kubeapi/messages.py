"""HTTP requests and responses as the API layer sees them, and request body decoding."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import yaml

import ampctl.sandbox.kubeapi.protobuf as protobuf
from ampctl.sandbox.kubeapi.status import ApiError, bad_request

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "application/apply-patch+yaml")


class _JsonishLoader(yaml.SafeLoader):
    """Safe YAML without timestamp conversion, so every document maps onto JSON."""


_JsonishLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Request:
    method: str
    path: str
    raw_query: str
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    _query: dict[str, list[str]] | None = field(default=None, repr=False)

    @property
    def query(self) -> dict[str, list[str]]:
        if self._query is None:
            self._query = urllib.parse.parse_qs(self.raw_query, keep_blank_values=True)
        return self._query

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return (self.param(name) or "").lower() in ("true", "1")

    def int_param(self, name: str) -> int | None:
        value = self.param(name)
        if value in (None, ""):
            return None
        try:
            return int(value)
        except ValueError as exc:
            raise bad_request(f"invalid value for {name}: {value!r}") from exc

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "application/json").split(";")[0].strip().lower()

    @property
    def dry_run(self) -> bool:
        return "All" in self.query.get("dryRun", [])

    def decode(self) -> Any:
        """The body as JSON data, from JSON, YAML or the Kubernetes protobuf encoding."""
        if not self.body:
            return None
        ctype = self.content_type
        if protobuf.is_protobuf(ctype):
            return protobuf.decode(self.body)
        try:
            if ctype in YAML_TYPES:
                return yaml.load(self.body.decode("utf-8"), Loader=_JsonishLoader)  # noqa: S506
            return json.loads(self.body)
        except (ValueError, yaml.YAMLError) as exc:
            raise bad_request(f"the body of the request could not be decoded as {ctype}: {exc}") from exc


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, data: Any, content_type: str = "application/json") -> Response:
    return Response(status, json.dumps(data, separators=(",", ":")).encode(), content_type)


def error_response(error: ApiError) -> Response:
    return json_response(error.code, error.status)
