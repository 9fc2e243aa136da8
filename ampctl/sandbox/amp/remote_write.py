"""Prometheus remote-write payloads: a `prometheus.WriteRequest` protobuf, snappy-compressed.

Only the fields Prometheus reads for samples are written:

    message WriteRequest { repeated TimeSeries timeseries = 1; }
    message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
    message Label        { string name = 1; string value = 2; }
    message Sample       { double value = 1; int64 timestamp = 2; }
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence

from ampctl.sandbox.protowire import WIRE_FIXED64, WIRE_VARINT, bytes_field, key, varint

HEADERS = {
    "Content-Type": "application/x-protobuf",
    "Content-Encoding": "snappy",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
}

Series = tuple[Mapping[str, str], Sequence[tuple[int, float]]]


def _label(name: str, value: str) -> bytes:
    return bytes_field(1, name.encode()) + bytes_field(2, value.encode())


def _sample(timestamp_ms: int, value: float) -> bytes:
    return key(1, WIRE_FIXED64) + struct.pack("<d", float(value)) + key(2, WIRE_VARINT) + varint(int(timestamp_ms))


def encode_timeseries(labels: Mapping[str, str], samples: Sequence[tuple[int, float]]) -> bytes:
    """One TimeSeries message; labels are sorted by name as Prometheus requires."""
    if "__name__" not in labels:
        raise ValueError("a series needs a __name__ label")
    body = b"".join(bytes_field(1, _label(name, labels[name])) for name in sorted(labels))
    ordered = sorted(samples, key=lambda sample: sample[0])
    body += b"".join(bytes_field(2, _sample(ts, value)) for ts, value in ordered)
    return body


def encode_write_request_uncompressed(series: Sequence[Series]) -> bytes:
    return b"".join(bytes_field(1, encode_timeseries(labels, samples)) for labels, samples in series)


def encode_write_request(series: Sequence[Series]) -> bytes:
    """`[(labels, [(timestamp_ms, value), ...]), ...]` -> snappy(raw) WriteRequest bytes."""
    import cramjam

    return bytes(cramjam.snappy.compress_raw(encode_write_request_uncompressed(series)))
