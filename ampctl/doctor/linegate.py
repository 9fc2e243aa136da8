"""Which checks apply to a cluster's chart line: what each line expects of doctor (its `doctor`, ampctl.lines) applied
to the installed release. A check area a line owns (3.x's kubecost3) runs on that line only; a line that skips the
other lines' checks names why, by the check id's first part (the areas of ampctl.doctor.model)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.facts import Facts

if TYPE_CHECKING:
    from ampctl.lines.base import Line


def installed(facts: Facts) -> Line | None:
    """The line of the installed release; None when there is none, or its version is not one ampctl supports."""
    from ampctl.errors import AmpctlError
    from ampctl.versions import chart_line

    release = facts.release()
    if release is None:
        return None
    try:
        return chart_line(release.chart_version)
    except AmpctlError:
        return None


def owned_area(facts: Facts) -> str | None:
    """The check area only the installed release's line runs (None: the line owns none)."""
    line = installed(facts)
    return line.doctor.area if line is not None else None


def runs(facts: Facts, spec: CheckSpec) -> bool:
    """A check of an area some line owns is in the report of that line's clusters only (any other check: in every
    report, skipped with the reason where it does not apply)."""
    return _owner(spec) is None or owned_area(facts) == spec.area


def gate(facts: Facts, spec: CheckSpec) -> str | None:
    """Why `spec` does not apply to this cluster's line, or None when it runs."""
    owner = _owner(spec)
    line = installed(facts)
    if owner is not None:
        return None if line is not None and line.doctor.area == spec.area else owner.doctor.elsewhere
    expects = line.doctor if line is not None else None
    if expects is None or expects.skipped is None or spec.id in expects.shared:
        return None
    return f"{expects.label}: {expects.skipped.get(spec.id.split('.')[0], expects.other)}"


def _owner(spec: CheckSpec) -> Line | None:
    from ampctl.versions import LINES

    return next((line for line in LINES if line.doctor.area is not None and line.doctor.area == spec.area), None)
