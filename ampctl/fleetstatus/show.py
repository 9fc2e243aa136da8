"""The status table for people and the JSON document for machines."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ampctl import output

_STATE_STYLE = {"reporting": "green", "stale": "yellow", "no data": "red", "not in fleet": "magenta"}
_UPGRADE_STYLE = {"on target": "green", "upgrading": "cyan", "waiting for the upgrade": "yellow"}


def _age(seconds: float | None) -> str:
    from ampctl.doctor.options import format_age

    return "-" if seconds is None else format_age(seconds)


def _count(found: dict[str, bool]) -> str:
    return f"{sum(found.values())}/{len(found)}" if found else "-"


def as_json(result: dict[str, Any]) -> dict[str, Any]:
    return {**result, "clusters": [asdict(c) for c in result["clusters"]]}


def table(result: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    from ampctl.versions import recorded

    fleet = result.get("fleet")
    title = f"workspace {result['workspace_id'] or '(not found)'} in {result['region']}"
    line = recorded(fleet.get("chart_line")) if fleet else None
    if line is not None and not line.on_amp:  # no workspace: the bucket holds the data and the shape
        title = f"Kubecost {line.family} fleet in {result['region']} (no AMP workspace)"
    if fleet:
        chart = f", chart {fleet['chart_version']}" if fleet["chart_version"] else ""
        bucket = f", bucket {fleet['bucket']}" if fleet["bucket"] else ""
        title += f"; fleet: {fleet['mode']}{bucket}{chart}"
        title += "" if fleet["source"] == "recorded" else f" ({fleet['source']})"
    else:
        title += "; fleet shape not recorded (`ampctl bootstrap` on the primary records it)"
    upgrade = result.get("upgrade")
    if upgrade:
        title += f"; {upgrade['summary']} ({upgrade['holder']})"
    grid = Table(title=title, title_justify="left")
    columns = ("CLUSTER", "MODE", "CHART", "RELEASE", "ROLES", "SERVICEACCOUNTS", "LAST SAMPLE", "ETL OBJECTS", "STATE")
    for column in (*columns, "UPGRADE") if upgrade else columns:
        grid.add_column(column)
    for c in result["clusters"]:
        style = _STATE_STYLE.get(c.state, "")
        etl = "-" if not c.federated else ("?" if c.etl_objects is None else str(c.etl_objects))
        chart = f"{c.chart_version} ({c.line})" if c.chart_version and c.line else c.chart_version or "-"
        mark = " [red]≠ fleet[/red]" if c.differs else ""
        row = [
            escape(c.cluster) + mark, _mode(c), chart, _release(c), _count(c.roles),
            _count(c.service_accounts), _age(c.last_sample_age), etl, f"[{style}]{c.state}[/{style}]",
        ]  # fmt: skip
        if upgrade:
            shown = _UPGRADE_STYLE.get(c.upgrade or "", "red")
            row.append(f"[{shown}]{c.upgrade}[/{shown}]" if c.upgrade else "-")
        grid.add_row(*row)
    output.out().print(grid)
    for c in result["clusters"]:
        if c.differs:
            output.warn(f"{c.cluster} differs from the fleet: {'; '.join(c.differs)}")
        for error in c.errors:
            output.warn(f"{c.cluster}: {error}")
    for error in result["errors"]:
        output.warn(error)


def _release(c: Any) -> str:
    """The release's status, and the GitOps engine that owns it (Argo CD, Flux)."""
    status = c.release_status or "-"
    if not c.owner:
        return status
    from ampctl.gitops.owner import engine

    return f"{status} ({engine(c.owner)})"


def _mode(c: Any) -> str:
    """The mode, and the identity when it is not IRSA (the default)."""
    mode = c.mode or "-"
    return f"{mode}, pod-identity" if c.identity == "pod-identity" else mode
