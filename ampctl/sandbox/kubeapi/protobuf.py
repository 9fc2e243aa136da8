"""The Kubernetes protobuf encoding, decoded by hand for the kinds clients send that way.

A body is the magic `k8s\\x00` followed by a `runtime.Unknown` message whose `raw` field holds the
object itself (client-go's typed clients send Secrets, ConfigMaps and DeleteOptions like this).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from typing import Any

from ampctl.sandbox.kubeapi.status import ApiError, bad_request

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

# field number -> (json name, type); a type is a scalar name, "msg:<Name>", "map:<value scalar>",
# "rep:<scalar>" or "rep:msg:<Name>".
Schema = dict[int, tuple[str, str]]
SCHEMAS: dict[str, Schema] = {
    "Unknown": {
        1: ("typeMeta", "msg:TypeMeta"),
        2: ("raw", "bytes"),
        3: ("contentEncoding", "string"),
        4: ("contentType", "string"),
    },
    "TypeMeta": {1: ("apiVersion", "string"), 2: ("kind", "string")},
    "ObjectMeta": {
        1: ("name", "string"),
        2: ("generateName", "string"),
        3: ("namespace", "string"),
        4: ("selfLink", "string"),
        5: ("uid", "string"),
        6: ("resourceVersion", "string"),
        7: ("generation", "int"),
        8: ("creationTimestamp", "msg:Time"),
        9: ("deletionTimestamp", "msg:Time"),
        10: ("deletionGracePeriodSeconds", "int"),
        11: ("labels", "map:string"),
        12: ("annotations", "map:string"),
        13: ("ownerReferences", "rep:msg:OwnerReference"),
        14: ("finalizers", "rep:string"),
    },
    "OwnerReference": {
        1: ("kind", "string"),
        3: ("name", "string"),
        4: ("uid", "string"),
        5: ("apiVersion", "string"),
        6: ("controller", "bool"),
        7: ("blockOwnerDeletion", "bool"),
    },
    "Time": {1: ("seconds", "int"), 2: ("nanos", "int")},
    "Secret": {
        1: ("metadata", "msg:ObjectMeta"),
        2: ("data", "map:bytes"),
        3: ("type", "string"),
        4: ("stringData", "map:string"),
        5: ("immutable", "bool"),
    },
    "ConfigMap": {
        1: ("metadata", "msg:ObjectMeta"),
        2: ("data", "map:string"),
        3: ("binaryData", "map:bytes"),
        4: ("immutable", "bool"),
    },
    "Namespace": {
        1: ("metadata", "msg:ObjectMeta"),
        2: ("spec", "msg:NamespaceSpec"),
        3: ("status", "msg:NamespaceStatus"),
    },
    "NamespaceSpec": {1: ("finalizers", "rep:string")},
    "NamespaceStatus": {1: ("phase", "string")},
    "ServiceAccount": {
        1: ("metadata", "msg:ObjectMeta"),
        2: ("secrets", "rep:msg:ObjectReference"),
        3: ("imagePullSecrets", "rep:msg:LocalObjectReference"),
        4: ("automountServiceAccountToken", "bool"),
    },
    "ObjectReference": {
        1: ("kind", "string"),
        2: ("namespace", "string"),
        3: ("name", "string"),
        4: ("uid", "string"),
        5: ("apiVersion", "string"),
        6: ("resourceVersion", "string"),
        7: ("fieldPath", "string"),
    },
    "LocalObjectReference": {1: ("name", "string")},
    "DeleteOptions": {
        1: ("gracePeriodSeconds", "int"),
        2: ("preconditions", "msg:Preconditions"),
        3: ("orphanDependents", "bool"),
        4: ("propagationPolicy", "string"),
        5: ("dryRun", "rep:string"),
    },
    "Preconditions": {1: ("uid", "string"), 2: ("resourceVersion", "string")},
}
KINDS = {"Secret", "ConfigMap", "Namespace", "ServiceAccount", "DeleteOptions"}


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise bad_request("protobuf: truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise bad_request("protobuf: varint too long")


def fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) for each field of a message."""
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = int.from_bytes(buf[pos : pos + 8], "little"), pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            if pos + length > len(buf):
                raise bad_request("protobuf: truncated field")
            value, pos = buf[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = int.from_bytes(buf[pos : pos + 4], "little"), pos + 4
        else:
            raise bad_request(f"protobuf: unsupported wire type {wire}")
        yield number, wire, value


def _scalar(kind: str, value: int | bytes) -> Any:
    if kind == "string":
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else ""
    if kind == "bool":
        return bool(value)
    if kind == "int":
        if isinstance(value, bytes):
            raise bad_request("protobuf: expected an integer")
        return value - (1 << 64) if value >= 1 << 63 else value
    raise bad_request(f"protobuf: unknown scalar {kind}")


def _time(message: dict[str, Any]) -> str:
    stamp = dt.datetime.fromtimestamp(message.get("seconds", 0), tz=dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def decode_message(name: str, buf: bytes) -> dict[str, Any]:
    schema = SCHEMAS[name]
    out: dict[str, Any] = {}
    for number, _wire, value in fields(buf):
        if number not in schema:
            continue
        key, kind = schema[number]
        if kind.startswith("map:"):
            if not isinstance(value, bytes):
                raise bad_request("protobuf: malformed map entry")
            entry = {n: v for n, _w, v in fields(value)}
            map_key = _scalar("string", entry.get(1, b""))
            out.setdefault(key, {})[map_key] = _scalar(kind[4:], entry.get(2, b""))
        elif kind.startswith("rep:"):
            out.setdefault(key, []).append(_decode_value(kind[4:], value))
        else:
            out[key] = _decode_value(kind, value)
    return out


def _decode_value(kind: str, value: int | bytes) -> Any:
    if kind.startswith("msg:"):
        if not isinstance(value, bytes):
            raise bad_request("protobuf: expected a message")
        sub = decode_message(kind[4:], value)
        return _time(sub) if kind == "msg:Time" else sub
    return _scalar(kind, value)


def is_protobuf(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == CONTENT_TYPE


def decode(body: bytes) -> dict[str, Any]:
    """A protobuf request body as the JSON object it stands for (with apiVersion and kind)."""
    if not body.startswith(MAGIC):
        raise bad_request("protobuf: body does not start with the k8s magic number")
    unknown = decode_message("Unknown", body[len(MAGIC) :])
    type_meta = unknown.get("typeMeta") or {}
    kind = type_meta.get("kind", "")
    if unknown.get("contentEncoding"):
        raise bad_request(f"protobuf: unsupported content encoding {unknown['contentEncoding']!r}")
    if kind not in KINDS:
        raise ApiError(
            415,
            f"the body of the request was in an unknown format - accepted media types "
            f"include: application/json, application/yaml ({kind} as protobuf)",
            "UnsupportedMediaType",
        )
    raw = base64.b64decode(unknown.get("raw", ""))
    obj = decode_message(kind, raw)
    obj["apiVersion"] = type_meta.get("apiVersion", "v1")
    obj["kind"] = kind
    return obj
