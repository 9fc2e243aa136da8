"""Resource quantities as the API server returns them: always strings (`cpu: 2` is stored as "2").

Charts often write bare numbers; clients (the official Python client among them) refuse a number
where the API promises a Quantity string."""

from __future__ import annotations

from typing import Any

_QUANTITY_MAPS = ("limits", "requests", "hard", "capacity", "allocatable")


def quantity(value: Any) -> Any:
    """2 -> "2", 0.5 -> "500m"; strings are left as they are."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if float(value).is_integer():
        return str(int(value))
    return f"{round(value * 1000)}m"


def canonicalize(node: Any) -> None:
    """Turn every number under `resources.{limits,requests}` (and quota/capacity maps) into a Quantity string."""
    if isinstance(node, list):
        for item in node:
            canonicalize(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in _QUANTITY_MAPS and isinstance(value, dict):
                node[key] = {k: quantity(v) for k, v in value.items()}
            else:
                canonicalize(value)
