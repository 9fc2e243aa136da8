"""The report: a Rich table per cluster grouped by area, then the diagnosis; or one JSON document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ampctl import output
from ampctl.doctor.model import AREAS, ClusterReport, Status
from ampctl.errors import EXIT_CHECKS_FAILED, EXIT_OK

if TYPE_CHECKING:
    from rich.console import RenderableType

ICONS = {
    Status.PASS: "[green]✓ pass[/green]",
    Status.WARN: "[yellow]! warn[/yellow]",
    Status.FAIL: "[red]✗ fail[/red]",
    Status.SKIP: "[dim]- skip[/dim]",
}


def exit_code(reports: Sequence[ClusterReport]) -> int:
    return EXIT_CHECKS_FAILED if any(r.failed for r in reports) else EXIT_OK


def to_json(reports: Sequence[ClusterReport]) -> dict[str, Any]:
    return {
        "ok": not any(r.failed for r in reports),
        "exit_code": exit_code(reports),
        "clusters": [r.to_json() for r in reports],
    }


def _chart_name(version: str | None) -> str:
    """The chart of the version's line (3.x: the kubecost chart); cost-analyzer for a version ampctl does not know."""
    from ampctl.errors import AmpctlError
    from ampctl.versions import line_of

    try:
        return line_of(str(version)).chart_name
    except AmpctlError:
        return "cost-analyzer"


def table(report: ClusterReport) -> RenderableType:
    from rich.markup import escape
    from rich.table import Table

    chart = _chart_name(report.chart_version)
    shape = f"  {report.mode} {report.role}, {chart} {report.chart_version}" if report.mode else ""
    grid = Table(
        title=f"[bold]{escape(report.cluster)}[/bold]{escape(shape)}  [dim]{escape(report.context or '')}[/dim]",
        title_justify="left",
        expand=True,
    )
    grid.add_column("status", no_wrap=True)
    grid.add_column("check", no_wrap=True)
    grid.add_column("evidence / fix", ratio=1, overflow="fold")
    for area, title in AREAS.items():
        rows = [c for c in report.checks if c.area == area]
        if not rows:
            continue
        if grid.row_count:
            grid.add_section()
        grid.add_row("", f"[bold]{title}[/bold]", "")
        reasons = {c.evidence for c in rows}
        if len(rows) > 2 and len(reasons) == 1 and all(c.status is Status.SKIP for c in rows):
            # An area that does not apply to this cluster (the other identity, say): one row, not one per check.
            grid.add_row(ICONS[Status.SKIP], f"{area}.* ({len(rows)} checks)", escape(reasons.pop()))
            continue
        for check in rows:
            cell = escape(check.evidence)
            if check.fix and check.status is not Status.PASS:
                cell += f"\n[cyan]→ {escape(check.fix)}[/cyan]"
            grid.add_row(ICONS[check.status], check.id, cell)
    return grid


def diagnosis(report: ClusterReport) -> RenderableType:
    from rich.markup import escape
    from rich.text import Text

    if report.diagnosis is None:
        return Text("")
    d = report.diagnosis
    color = "red" if report.failed else ("yellow" if report.counts()["warn"] else "green")
    lines = [f"[bold {color}]Diagnosis ({escape(report.cluster)}):[/bold {color}] {escape(d.summary)}"]
    lines += [f"  • {escape(item)}" for item in d.details]
    lines += [f"  [cyan]fix:[/cyan] {escape(item)}" for item in d.fixes]
    return Text.from_markup("\n".join(lines))


def show(reports: Sequence[ClusterReport]) -> None:
    if output.is_json():
        output.emit_json(to_json(reports))
        return
    for report in reports:
        output.show(table(report))
        output.show(diagnosis(report))
        output.show("")
    if len(reports) > 1:
        output.show(fleet_table(reports))
    failing = [r.cluster for r in reports if r.failed]
    counts = {s: sum(r.counts()[s.value] for r in reports) for s in Status}
    tally = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    if failing:
        output.show(f"[red]{len(failing)} of {len(reports)} cluster(s) with failing checks[/red] "
                    f"({', '.join(failing)}); {tally}")  # fmt: skip
    else:
        output.show(f"[green]{len(reports)} cluster(s): no failing checks[/green] ({tally})")


def fleet_table(reports: Sequence[ClusterReport]) -> RenderableType:
    """One row per cluster: its role, mode and chart, and whether it matches the fleet's shape."""
    from rich.markup import escape
    from rich.table import Table

    grid = Table(title="[bold]Fleet[/bold]", title_justify="left")
    for column in ("CLUSTER", "ROLE", "MODE", "CHART", "FLEET SHAPE"):
        grid.add_column(column)
    for r in reports:
        check = r.get("fleet.shape")
        if check is None or check.status is Status.SKIP:
            verdict = "-"
        elif check.status is Status.PASS:
            verdict = "[green]as the fleet[/green]"
        else:
            detail = check.evidence.split(": ", 1)[-1]
            verdict = f"{ICONS[check.status]} {escape(detail)}"
        grid.add_row(escape(r.cluster), r.role or "-", r.mode or "-", r.chart_version or "-", verdict)
    return grid
