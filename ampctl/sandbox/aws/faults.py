"""Fault injection for the AWS emulator: latency, throttling, 5xx and lost answers, shaped per service."""

from __future__ import annotations

import json
import random
import threading
import uuid
from dataclasses import dataclass

from ampctl.sandbox.aws.ops import RequestInfo
from ampctl.sandbox.config import Faults

THROTTLE = "throttle"
ERROR = "error"
LOST = "lost"
VANISH = "vanish"

_QUERY_NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}
# The exception a REST-JSON service names for a server-side failure.
_REST_INTERNAL = {"aps": "InternalServerException", "eks": "ServerException"}


@dataclass(frozen=True)
class FaultResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class FaultInjector:
    """Draws one fault (or none) per request from a seeded RNG; the three rates are disjoint bands."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._lock = threading.Lock()
        self._rng = random.Random(faults.seed)
        self._injected = 0

    def reseed(self) -> None:
        with self._lock:
            self._rng = random.Random(self.faults.seed)
            self._injected = 0

    @property
    def latency_seconds(self) -> float:
        return max(self.faults.latency_ms, 0) / 1000.0

    def draw(self, request: str = "") -> str | None:
        """The fault for one request, named "<account>/<service>:<action>" (see Faults.only)."""
        import fnmatch

        faults = self.faults
        if not (faults.throttle_rate or faults.error_rate or faults.lost_rate or faults.vanish_rate):
            return None
        if faults.only and not fnmatch.fnmatchcase(request, faults.only):
            return None
        vanishing = faults.vanish_rate and not request.partition("/")[2].startswith("sts:")  # STS owns no resource
        with self._lock:
            if faults.count and self._injected >= faults.count:
                return None
            fault = self._band(self._rng.random(), bool(vanishing))
            self._injected += fault is not None
        return fault

    def _band(self, roll: float, vanishing: bool) -> str | None:
        faults = self.faults
        for rate, fault in (
            (faults.throttle_rate, THROTTLE),
            (faults.error_rate, ERROR),
            (faults.lost_rate, LOST),
            (faults.vanish_rate if vanishing else 0.0, VANISH),
        ):
            if roll < rate:
                return fault
            roll -= rate
        return None


def _request_id() -> str:
    return str(uuid.uuid4())


def _query_error(info: RequestInfo, status: int, kind: str, code: str, message: str) -> FaultResponse:
    namespace = _QUERY_NAMESPACES.get(info.service, f"https://{info.service}.amazonaws.com/doc/")
    request_id = _request_id()
    body = (
        f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    return FaultResponse(status, headers, body.encode())


def _s3_error(status: int, code: str, message: str) -> FaultResponse:
    request_id = uuid.uuid4().hex[:16].upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>{uuid.uuid4().hex}</HostId></Error>"
    )
    headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    return FaultResponse(status, headers, body.encode())


def _json_error(info: RequestInfo, status: int, code: str, message: str) -> FaultResponse:
    request_id = _request_id()
    headers = [("x-amzn-RequestId", request_id)]
    if info.protocol == "json":
        body = {"__type": code, "message": message}
        headers.append(("Content-Type", "application/x-amz-json-1.1"))
    else:
        body = {"message": message}
        headers += [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    return FaultResponse(status, headers, json.dumps(body).encode())


def throttling(info: RequestInfo) -> FaultResponse:
    """What the real service answers when its request rate is exceeded."""
    if info.service == "s3":
        return _s3_error(503, "SlowDown", "Please reduce your request rate.")
    if info.protocol == "query":
        return _query_error(info, 400, "Sender", "Throttling", "Rate exceeded")
    if info.protocol == "json":
        return _json_error(info, 400, "ThrottlingException", "Rate exceeded")
    return _json_error(info, 429, "ThrottlingException", "Rate exceeded")


def internal_error(info: RequestInfo) -> FaultResponse:
    """A 500 as the real service gives it when it fails on its side."""
    if info.service == "s3":
        return _s3_error(500, "InternalError", "We encountered an internal error. Please try again.")
    if info.protocol == "query":
        return _query_error(info, 500, "Receiver", "InternalFailure", "An internal error occurred.")
    code = _REST_INTERNAL.get(info.service, "InternalFailure")
    return _json_error(info, 500, code, "An internal error occurred.")


# The "not found" each service gives for a resource that does not exist (a read racing with a delete):
# S3: 404 NoSuchBucket, "The specified bucket does not exist" (S3 API Reference, "Error responses", list of error
# codes); IAM: 404 NoSuchEntity (IAM API Reference, e.g. GetPolicyVersion and GetRole, "Errors"); AMP and EKS:
# 404 ResourceNotFoundException (the AMP and EKS API References, "Common errors" / each action's "Errors"); KMS: 400
# NotFoundException (KMS API Reference, e.g. DescribeKey, "Errors"). STS owns no resource: never answered so.
def not_found(info: RequestInfo) -> FaultResponse:
    if info.service == "s3":
        return _s3_error(404, "NoSuchBucket", "The specified bucket does not exist")
    if info.service == "kms":
        return _json_error(info, 400, "NotFoundException", "The request was rejected because the key was not found.")
    if info.protocol == "query":
        return _query_error(info, 404, "Sender", "NoSuchEntity", "The requested entity cannot be found.")
    return _json_error(info, 404, "ResourceNotFoundException", "The requested resource was not found.")


def answer(fault: str, info: RequestInfo) -> FaultResponse:
    """What the client gets for an injected fault (LOST: after the change was made)."""
    if fault == THROTTLE:
        return throttling(info)
    return not_found(info) if fault == VANISH else internal_error(info)
