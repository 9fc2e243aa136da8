"""What a check is: a function from a cluster's facts (and the run's findings so far) to a result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ampctl.doctor.model import Check, Result, Status

if TYPE_CHECKING:
    from ampctl.doctor.facts import Facts
    from ampctl.doctor.findings import Findings

CheckFn = Callable[["Facts", "Findings"], Result]


def bind(fn: Callable[[Facts, Findings, str], Result], subject: str) -> CheckFn:
    """One check per subject (a component, a metric) from a check of several."""
    return lambda facts, findings: fn(facts, findings, subject)


@dataclass(frozen=True)
class CheckSpec:
    """A check: `needs` must pass for it to run (else it is skipped); a failure of one of
    `explained_by` explains its own failure, which is then shown as a warning pointing there. A check
    of data still arriving is asked again by --wait while its status is one of `waits_while`."""

    id: str
    area: str
    title: str
    run: CheckFn
    needs: tuple[str, ...] = ()
    explained_by: tuple[str, ...] = ()
    waits_while: tuple[Status, ...] = ()

    def outcome(self, result: Result) -> Check:
        """The check's entry in the report for what it found."""
        return Check(self.id, self.area, self.title, result.status, result.evidence, result.fix)
