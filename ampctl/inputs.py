"""Every input of a provisioning run checked before the first AWS or Kubernetes call.

Names, the chart version and the product key are checked where the request is built; this adds what
only matters later (values files, --set, durations), so a mistake costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ampctl.errors import AmpctlError

if TYPE_CHECKING:
    from ampctl.provision.request import ProvisionRequest

# Go's time.ParseDuration, which helm uses for --timeout: e.g. 300s, 10m, 1h30m.
_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")


def duration(text: str, what: str) -> str:
    if not _DURATION.match(text) or not re.search(r"[1-9]", text):
        raise AmpctlError(
            f"invalid {what} {text!r}: expected a positive duration like 300s, 10m or 1h30m",
            f"write {what} with a unit (s, m or h)",
        )
    return text


_PARTS = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def seconds(text: str, what: str) -> float:
    """A duration written as helm writes --timeout (300s, 10m, 1h30m), in seconds."""
    duration(text, what)
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _PARTS.findall(text))


def check_request(request: ProvisionRequest) -> None:
    """Raise the first problem in the request's files and expressions; reads nothing remote."""
    from ampctl import validate
    from ampctl.provision import values
    from ampctl.versions import check_identity

    check_identity(request.chart_version, request.identity)
    for path in request.extra_values:
        values.load_values_file(path)
    for expression in request.set_values:
        values.parse_set(expression)
    duration(request.timeout, "--timeout")
    if request.workspace_id:
        validate.workspace_id(request.workspace_id)
    if request.prom_cluster_id_label:
        validate.label_name(request.prom_cluster_id_label)


def check_requests(requests: Sequence[ProvisionRequest]) -> None:
    seen: set[int] = set()
    for request in requests:
        if id(request) not in seen:
            seen.add(id(request))
            check_request(request)
