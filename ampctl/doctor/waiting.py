"""--wait: ask the checks of data again until they pass or the time runs out, saying what is still missing."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.model import Check, Status
from ampctl.doctor.options import format_age

PROGRESS_EVERY = 10.0

Progress = Callable[[str], None]


def pending(findings: Findings, specs: Sequence[CheckSpec]) -> list[tuple[CheckSpec, Check]]:
    """Checks worth waiting for: in a status they wait out, and not explained by a failed check not waited for."""
    waited = {spec.id for spec in specs}
    out = []
    for spec in specs:
        check = findings.results[spec.id]
        if check.status not in spec.waits_while:
            continue
        static = [i for i in spec.explained_by if i not in waited]
        if any((c := findings.results.get(i)) is not None and c.status is Status.FAIL for i in static):
            continue
        out.append((spec, check))
    return out


def describe(facts: Facts, findings: Findings, spec: CheckSpec) -> str:
    if not spec.id.startswith("promql."):
        return f"{spec.id}: {findings.results[spec.id].evidence}"
    _, way, metric = spec.id.split(".")
    outcome = findings.queries.get((way, metric))
    how = "directly" if way == "amp" else "through Kubecost"
    if outcome is None:
        return f"{spec.id}: {findings.results[spec.id].evidence}"
    return f"{outcome.query} {how} ({outcome.describe(facts.options.max_sample_age)})"


def wait_for_data(
    facts: Facts,
    findings: Findings,
    progress: Progress,
    specs: Sequence[CheckSpec],
    recheck: Callable[[Facts, Findings], None],
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Run `recheck` until `specs` pass or --wait runs out, saying which is still empty."""
    started = time.monotonic()
    deadline = started + facts.options.wait
    shown: list[str] = []
    last_shown = 0.0
    while True:
        waiting = pending(findings, specs)
        now = time.monotonic()
        if not waiting:
            return
        text = "; ".join(describe(facts, findings, spec) for spec, _ in waiting)
        if now >= deadline:
            progress(f"{facts.cluster}: gave up waiting after {format_age(now - started)}, still empty: {text}")
            return
        if [spec.id for spec, _ in waiting] != shown or now - last_shown >= PROGRESS_EVERY:
            progress(f"{facts.cluster}: waiting for data ({format_age(now - started)} of "
                     f"{format_age(facts.options.wait)}), still empty: {text}")  # fmt: skip
            shown, last_shown = [spec.id for spec, _ in waiting], now
        sleep(max(0.1, min(facts.options.poll_interval, deadline - now)))
        before = {spec.id: findings.results[spec.id].status for spec, _ in waiting}
        recheck(facts, findings)
        for spec_id, status in before.items():
            check = findings.results[spec_id]
            if check.status is Status.PASS and status is not Status.PASS:
                progress(f"{facts.cluster}: {spec_id} passes after {format_age(time.monotonic() - started)}: "
                         f"{check.evidence}")  # fmt: skip
