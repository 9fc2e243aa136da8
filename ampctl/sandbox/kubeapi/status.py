"""Kubernetes `Status` errors: the exception every layer raises and the body clients branch on."""

from __future__ import annotations

from typing import Any

from ampctl.sandbox.kubeapi.resources import ResourceType

REASONS = {
    400: "BadRequest",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    500: "InternalError",
    503: "ServiceUnavailable",
}


class ApiError(Exception):
    """A failed API call, carrying the `Status` object the server answers with."""

    def __init__(
        self, code: int, message: str, reason: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details

    @property
    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body

    def __repr__(self) -> str:
        return f"ApiError({self.code}, {self.reason}, {self.message!r})"


def _details(rt: ResourceType, name: str, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": rt.plural}
    if rt.group:
        details["group"] = rt.group
    details.update(extra)
    return details


def not_found(rt: ResourceType, name: str) -> ApiError:
    return ApiError(404, f'{rt.qualified()} "{name}" not found', "NotFound", _details(rt, name))


def namespace_not_found(namespace: str) -> ApiError:
    return ApiError(404, f'namespaces "{namespace}" not found', "NotFound", {"name": namespace, "kind": "namespaces"})


def already_exists(rt: ResourceType, name: str) -> ApiError:
    return ApiError(409, f'{rt.qualified()} "{name}" already exists', "AlreadyExists", _details(rt, name))


def conflict(rt: ResourceType, name: str, why: str = "") -> ApiError:
    why = why or "the object has been modified; please apply your changes to the latest version and try again"
    return ApiError(
        409, f'Operation cannot be fulfilled on {rt.qualified()} "{name}": {why}', "Conflict", _details(rt, name)
    )


def invalid(rt: ResourceType, name: str, field: str, message: str, cause: str = "FieldValueInvalid") -> ApiError:
    text = f'{rt.kind} "{name}" is invalid: {field}: {message}'
    details = {
        "name": name,
        "group": rt.group,
        "kind": rt.kind,
        "causes": [{"reason": cause, "message": f"{message}", "field": field}],
    }
    return ApiError(422, text, "Invalid", details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message, "BadRequest")


def method_not_allowed(message: str = "the server does not allow this method on the requested resource") -> ApiError:
    return ApiError(405, message, "MethodNotAllowed", {})


def no_such_path() -> ApiError:
    return ApiError(404, "the server could not find the requested resource", "NotFound", {})


def gone(message: str) -> ApiError:
    return ApiError(410, message, "Expired")


def service_unavailable(message: str) -> ApiError:
    return ApiError(503, message, "ServiceUnavailable")


def success_status(rt: ResourceType, name: str, uid: str = "") -> dict[str, Any]:
    details = _details(rt, name)
    if uid:
        details["uid"] = uid
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
