"""`ampctl doctor` end to end: choose the clusters, run their checks, show the report, return the exit code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ampctl import output
from ampctl.doctor.model import Check, ClusterReport, Diagnosis, Status
from ampctl.doctor.options import format_age

if TYPE_CHECKING:
    from ampctl.selection import Selection


def _no_context(cluster: str) -> ClusterReport:
    check = Check(
        "identity.context", "identity", "kubeconfig context", Status.FAIL,
        f"IAM roles tagged ampctl/cluster={cluster}, but no EKS context for it in the kubeconfig",
        f"`aws eks update-kubeconfig --name {cluster} --region <region>`, then re-run",
    )  # fmt: skip
    return ClusterReport(cluster, None, None, [check], Diagnosis("Not checked: no kubeconfig context."))


def progress(message: str) -> None:
    """A progress line on stderr, never wrapped, so that each stays one line in CI logs."""
    from rich.markup import escape

    if output.settings.verbosity >= 0:
        output.err().print(escape(message), soft_wrap=True)


def doctor(selection: Selection, given: dict[str, object], parallel: int) -> int:
    """Choose the clusters (default: ./ampctl.yaml, else the current context), check them, report; the exit code."""
    from ampctl import warm
    from ampctl.doctor import report, runner
    from ampctl.doctor.options import build
    from ampctl.selection import choose, load_fleet

    warm.start(warm.KUBERNETES)
    fleet = load_fleet(selection)
    options = build(given, fleet)
    chosen = choose(selection, "fleet", fleet)

    names = [t.cluster for t in chosen.targets]
    if options.wait:
        progress(f"checking {', '.join(names)}; waiting up to {format_age(options.wait)} for data")
    reports = runner.run(chosen.targets, options, sessions=chosen.sessions, parallel=parallel, progress=progress)
    reports += [_no_context(name) for name in chosen.missing]
    report.show(reports)
    return report.exit_code(reports)
