"""Run the checks of each cluster (every cluster at once, its reads at once), wait for data when asked, then
settle and diagnose."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from ampctl.aws.session import Sessions
from ampctl.doctor import (
    chain,
    chartline,
    federated,
    gitops,
    identity,
    identitymode,
    irsa,
    kms,
    kubecost3,
    kubecost3api,
    kubecost3id,
    linegate,
    logs,
    podidentity,
    promql,
    release,
    scheduling,
    shape,
    waiting,
    workloads,
)
from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.diagnosis import diagnose, settle
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.model import Check, ClusterReport, Result, Status, fail, skip
from ampctl.doctor.options import DoctorOptions
from ampctl.errors import AmpctlError
from ampctl.plan.graph import Graph

if TYPE_CHECKING:
    from ampctl.aws.session import AwsSession
    from ampctl.target import Target

STATIC: list[CheckSpec] = [
    *identity.SPECS,
    *irsa.SPECS,
    *chain.SPECS,
    *podidentity.SPECS,
    *release.SPECS,
    *gitops.SPECS,
    *chartline.RELEASE_SPECS,
    *workloads.SPECS,
    *scheduling.SPECS,
    *federated.SPECS,
    *kms.SPECS,
    *chartline.FEDERATED_SPECS,
    *shape.SPECS,
    *kubecost3.SPECS,
    *kubecost3id.SPECS,
    *kubecost3api.SPECS,
    kubecost3.FRESHNESS,
]
LIVE: list[CheckSpec] = list(promql.SPECS)
WAITED: list[CheckSpec] = [spec for spec in (*STATIC, *LIVE) if spec.waits_while]  # what --wait asks again
AFTER: list[CheckSpec] = list(logs.SPECS)
ORDER: list[CheckSpec] = [*STATIC, *LIVE, *AFTER]
# The diagnosis of a line with its own check area (its `doctor.area`, ampctl.lines), by that area.
DIAGNOSES: dict[str, Callable[[ClusterReport], Any]] = {"kubecost3": kubecost3.diagnose}

Progress = Callable[[str], None]


def _failure(exc: Exception) -> Result:
    """A check that could not finish: known failures become a failed check, anything else propagates."""
    from ampctl.translate import translate

    error = translate(exc)
    if error is not None:
        return fail(error.message, error.hint or "")
    if type(exc).__name__ == "ApiException":
        status, reason = getattr(exc, "status", "?"), getattr(exc, "reason", "")
        return fail(f"Kubernetes API answered {status} {reason}", "check the kube context's rights in the namespace")
    if isinstance(exc, OSError) or type(exc).__module__.startswith("urllib3"):
        return fail(f"cannot reach the cluster: {exc}", "check the kube context and the network")
    raise exc


def live(facts: Facts, findings: Findings, specs: Sequence[CheckSpec] = LIVE) -> None:
    """The PromQL checks (or `specs`), at once: each needs only static checks, and each makes its own query."""
    from ampctl.pool import together

    together([partial(run_check, facts, findings, spec) for spec in specs])


def runs(facts: Facts, spec: CheckSpec) -> bool:
    """The Kubecost 3.x checks are in the report of a 3.x cluster only (a 1.x/2.x check on 3.x: skipped, said why)."""
    return linegate.runs(facts, spec)


def recheck(facts: Facts, findings: Findings) -> None:
    """What --wait asks again (the PromQL checks, the ETL objects), the bucket listed anew."""
    facts.forget("objects:")
    live(facts, findings, [spec for spec in WAITED if runs(facts, spec)])


def run_check(facts: Facts, findings: Findings, spec: CheckSpec) -> Check:
    blocked = next(
        (
            n
            for n in spec.needs
            if (c := findings.results.get(n)) is not None and c.status in (Status.FAIL, Status.SKIP)
        ),
        None,
    )
    not_here = linegate.gate(facts, spec)
    if not_here is not None:
        result = skip(not_here)
    elif blocked is not None:
        cause = findings.results[blocked]
        root = cause.status is Status.SKIP and cause.evidence.startswith("needs ")
        result = skip(cause.evidence if root else f"needs {blocked} ({cause.status.value})")
    else:
        try:
            result = spec.run(facts, findings)
        except Exception as exc:  # noqa: BLE001 - _failure re-raises what it does not know
            result = _failure(exc)
    check = spec.outcome(result)
    findings.results[spec.id] = check
    return check


def prefetch(facts: Facts) -> None:
    """Make at once the reads the checks then make one after another (each is cached). A read that fails here
    is left for the check that needs it: it reads again and reports the failure itself."""
    from ampctl.naming import COMPONENTS, role_name
    from ampctl.pool import together

    def quietly(read: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            with contextlib.suppress(Exception):
                read()

        return run

    roles = [role_name(facts.cluster, component) for component in COMPONENTS]
    first: list[Callable[[], object]] = [facts.caller, facts.eks_cluster, facts.release, facts.workspace]
    first += [partial(facts.role, name) for name in roles] + [partial(facts.attached, name) for name in roles]
    first += [partial(facts.service_account, name) for name in COMPONENTS.values()]
    first += [facts.oidc_providers, partial(identitymode.associations, facts), facts.store_config]
    together([quietly(read) for read in first])
    then: list[Callable[[], object]] = [
        partial(facts.deployment, name) for name in (facts.fullname, facts.prometheus_name)
    ]
    with contextlib.suppress(Exception):
        then += federated.prefetch(facts)
    together([quietly(read) for read in then])


def check_cluster(
    target: Target, aws: AwsSession, options: DoctorOptions, progress: Progress
) -> tuple[Facts, Findings]:
    facts, findings = Facts(target, aws, options), Findings()
    prefetch(facts)
    for spec in STATIC:
        chained = spec.area != chain.AREA or facts.clients.workspace_account is not None  # another account only
        if chained and runs(facts, spec):
            run_check(facts, findings, spec)
    live(facts, findings)
    if options.wait > 0:
        waited = [spec for spec in WAITED if runs(facts, spec)]
        waiting.wait_for_data(facts, findings, progress, waited, recheck)
    for spec in AFTER:
        run_check(facts, findings, spec)
    return facts, findings


def _rendered_cluster_id(facts: Facts) -> str | None:
    labels = facts.value("prometheus.server.global.external_labels", {}) or {}
    value = labels.get("cluster_id") if isinstance(labels, dict) else None
    return str(value) if value else None


def _shared_cluster_ids(fleet: Sequence[tuple[Facts, Findings]]) -> None:
    """Two clusters writing the same cluster_id mix their data: fail values.cluster-id on both."""
    owners: dict[str, list[str]] = {}
    for facts, _ in fleet:
        value = _rendered_cluster_id(facts)
        if value and facts.release() is not None:
            owners.setdefault(value, []).append(facts.cluster)
    for facts, findings in fleet:
        value = _rendered_cluster_id(facts)
        others = [c for c in owners.get(value or "", []) if c != facts.cluster]
        check = findings.results.get("values.cluster-id")
        if others and check is not None and check.status is not Status.SKIP:
            check.status = Status.FAIL
            check.evidence = f"cluster_id {value} is also written by {', '.join(others)}; {check.evidence}"
            check.fix = f"give every cluster its own cluster_id (its name): {facts.repair()}"


def _unclaimed(facts: Facts, findings: Findings) -> list[str]:
    """The cluster's own rendered cluster_id, when AMP has fresh data under it and it is not the expected one."""
    rendered = _rendered_cluster_id(facts)
    if not rendered or rendered == facts.cluster_id:
        return []
    fresh = {
        value
        for rows in findings.label_values.values()
        for value, _, age in rows
        if age is not None and age <= facts.options.max_sample_age
    }
    return [rendered] if rendered in fresh else []


def finish(facts: Facts, findings: Findings) -> ClusterReport:
    checks = [findings.results[spec.id] for spec in ORDER if spec.id in findings.results]
    settle(checks, ORDER)
    report = ClusterReport(facts.cluster, facts.target.context, facts.region, checks)
    found = facts.release()
    if found is not None:
        from ampctl.fleetshape import mode_of

        report.mode, report.chart_version = mode_of(facts.federated), found.chart_version
        report.role = shape.role(facts, findings.fleet_shape(facts))
    erring = sorted({way for (way, _), outcome in findings.queries.items() if outcome.error})
    report.diagnosis = diagnose(report, facts.id_label, facts.cluster_id, _unclaimed(facts, findings), erring)
    own = DIAGNOSES.get(linegate.owned_area(facts) or "")
    if own is not None:  # a line with its own checks diagnoses its own data path
        report.diagnosis = own(report)
    return report


def unreachable(target: Target, error: AmpctlError) -> ClusterReport:
    check = Check("identity.credentials", "identity", "AWS credentials", Status.FAIL, error.message, error.hint or "")
    report = ClusterReport(target.cluster, target.context, target.region, [check])
    report.diagnosis = diagnose(report, "cluster_id", target.cluster)
    return report


def run(
    targets: Sequence[Target], options: DoctorOptions, *, sessions: Sessions, parallel: int, progress: Progress
) -> list[ClusterReport]:
    done: dict[int, tuple[Facts, Findings] | ClusterReport] = {}

    def one(item: tuple[int, Target]) -> None:
        index, target = item
        try:
            aws = sessions.for_region(target.region)
        except AmpctlError as exc:
            done[index] = unreachable(target, exc)
            return
        progress(f"checking {target.cluster} ({target.context})")
        done[index] = check_cluster(target, aws, options, progress)

    graph = Graph(groups=parallel)
    for item in enumerate(targets):
        graph.add(partial(one, item), group=item[1].context)
    graph.run()
    checked = [v for v in done.values() if isinstance(v, tuple)]
    _shared_cluster_ids(checked)
    return [v if isinstance(v, ClusterReport) else finish(*v) for _, v in sorted(done.items(), key=_first)]


def _first(item: tuple[int, Any]) -> int:
    return int(item[0])
