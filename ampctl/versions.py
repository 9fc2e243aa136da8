"""Supported Kubecost chart versions and the chart line (1.x federator, 2.x aggregator) each belongs to."""

from __future__ import annotations

import re
from enum import Enum

from ampctl.errors import AmpctlError

DEFAULT_VERSION = "2.8.7"
SUPPORTED_RANGE = "1.97.0–1.108.x or 2.0.0–2.8.x"

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


class ChartLine(Enum):
    """The two multi-cluster models of the cost-analyzer chart that ampctl supports."""

    FEDERATOR_1X = "1.x"  # Federator combines per-cluster ETL in S3
    AGGREGATOR_2X = "2.x"  # Aggregator on the primary reads S3


# Inclusive lower bound, exclusive upper bound, per line.
_RANGES = (
    (ChartLine.FEDERATOR_1X, (1, 97, 0), (1, 109, 0)),
    (ChartLine.AGGREGATOR_2X, (2, 0, 0), (2, 9, 0)),
)


def parse_version(version: str) -> tuple[int, int, int]:
    """MAJOR.MINOR.PATCH as integers; anything else is refused."""
    match = _SEMVER.match(version.strip()) if isinstance(version, str) else None
    if not match:
        raise _unsupported(version, "it is not a chart version of the form MAJOR.MINOR.PATCH")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def chart_line(version: str) -> ChartLine:
    """The chart line of a supported version; refuse every other version with the supported range."""
    parsed = parse_version(version)
    for line, low, high in _RANGES:
        if low <= parsed < high:
            return line
    if parsed[0] == 2:
        why = "2.9 and later need the remote finops-agent and a different federated-storage Secret"
    elif parsed[0] >= 3:
        why = "the 3.x chart is renamed `kubecost` and rejects global.amp and sigV4Proxy"
    else:
        why = "global.amp and sigV4Proxy first appear in 1.97.0"
    raise _unsupported(version, why)


def _unsupported(version: object, why: str) -> AmpctlError:
    shown = repr(version) if len(repr(version)) <= 40 else repr(version)[:37] + "..."
    return AmpctlError(
        f"unsupported Kubecost chart version {shown}: ampctl supports {SUPPORTED_RANGE}",
        f"{why}; pass --chart-version {DEFAULT_VERSION} (the default) or another version in that range",
    )
