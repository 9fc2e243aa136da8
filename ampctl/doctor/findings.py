"""The findings of one cluster's run, apart from its facts: the checks' results, the PromQL queries made and
the cluster label values found. The runner owns them and hands them to the checks that read earlier findings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ampctl.doctor.model import Check, Status
from ampctl.doctor.options import format_age

if TYPE_CHECKING:
    from ampctl.doctor.facts import Facts
    from ampctl.fleetshape import FleetShape


@dataclass(frozen=True)
class Outcome:
    """What one PromQL query found."""

    query: str
    error: str | None = None
    series: int = 0
    age: float | None = None  # seconds from the newest sample to the query's evaluation time

    def fresh(self, max_age: float) -> bool:
        return self.error is None and self.series > 0 and self.age is not None and self.age <= max_age

    def describe(self, max_age: float) -> str:
        if self.error:
            return self.error
        if self.series == 0 or self.age is None:
            return "empty"
        if self.age > max_age:
            return f"empty for the last {format_age(max_age)}: newest sample {format_age(self.age)} old"
        return f"{self.series} series, newest sample {format_age(self.age)} old"


LabelValues = list[tuple[str, int, float | None]]  # (value, series, age of the newest sample)


class Findings:
    def __init__(self) -> None:
        self.results: dict[str, Check] = {}
        self.queries: dict[tuple[str, str], Outcome] = {}  # (way, metric) -> last outcome
        self.label_values: dict[str, LabelValues] = {}  # metric -> found values

    def passed(self, check_id: str) -> bool:
        check = self.results.get(check_id)
        return check is not None and check.status is Status.PASS

    def kube_ok(self) -> bool:
        """Whether identity.kubernetes found the API server and the namespace."""
        return self.passed("identity.kubernetes")

    def known_workspace_id(self, facts: Facts) -> str | None:
        """The workspace's id once identity.workspace has found it usable, else None."""
        check = self.results.get("identity.workspace")
        if check is None or check.status.value not in ("pass", "warn"):
            return None
        return facts.workspace_id()

    def fleet_shape(self, facts: Facts) -> FleetShape | None:
        """The fleet's shape, once the workspace it is recorded on is known to be usable."""
        return facts.fleet_shape() if self.known_workspace_id(facts) else None
