"""Protocol-buffer wire encoding: the few primitives the sandbox's encoders share."""

from __future__ import annotations

WIRE_VARINT = 0
WIRE_FIXED64 = 1
WIRE_BYTES = 2


def varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def key(field: int, wire: int) -> bytes:
    return varint((field << 3) | wire)


def bytes_field(field: int, payload: bytes) -> bytes:
    return key(field, WIRE_BYTES) + varint(len(payload)) + payload
