"""`ampctl doctor` end to end: choose the clusters, run their checks, show the report, return the exit code."""

from __future__ import annotations

from collections.abc import Sequence

from ampctl import output
from ampctl.doctor.model import Check, ClusterReport, Diagnosis, Status
from ampctl.doctor.options import DoctorOptions, format_age
from ampctl.errors import AmpctlError


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


def doctor(
    contexts: Sequence[str],
    *,
    all_clusters: bool,
    kubeconfig: str | None,
    cluster: str | None,
    region: str | None,
    profile: str | None,
    parallel: int,
    options: DoctorOptions,
) -> int:
    from ampctl import warm
    from ampctl.doctor import discover, report, runner

    warm.start(warm.KUBERNETES, warm.HELM)

    missing: list[str] = []
    if all_clusters:
        if contexts or cluster:
            raise AmpctlError("--all finds the clusters itself", "drop --context/--cluster, or drop --all")
        from ampctl.aws.session import AwsSession

        aws = AwsSession(profile, discover.discovery_region(region, kubeconfig))
        targets, missing = discover.all_targets(aws, kubeconfig)
    else:
        targets = discover.targets(contexts, kubeconfig=kubeconfig, cluster=cluster, region=region)
    names = [t.cluster for t in targets]
    if options.wait:
        progress(f"checking {', '.join(names)}; waiting up to {format_age(options.wait)} for data")
    reports = runner.run(targets, options, profile=profile, parallel=parallel, progress=progress)
    reports += [_no_context(name) for name in missing]
    report.show(reports)
    return report.exit_code(reports)
