"""What the checks mean together: failures explained by an earlier failure become warnings pointing at it,
and the two PromQL paths say on which side of AMP the break is."""

from __future__ import annotations

from collections.abc import Sequence

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.model import Check, ClusterReport, Diagnosis, Status

METRIC_IDS = ("memory", "node-cost")


def settle(checks: Sequence[Check], specs: Sequence[CheckSpec]) -> None:
    """Turn each failure that an earlier failure explains into a warning naming the root cause.

    `specs` is in execution order, so every explaining check is settled before those it explains.
    """
    by_id = {c.id: c for c in checks}
    for spec in specs:
        check = by_id.get(spec.id)
        if check is None or check.status is not Status.FAIL:
            continue
        cause = next((i for i in spec.explained_by if i in by_id and by_id[i].broken), None)
        if cause is None:
            continue
        root = by_id[cause].explained_by or cause
        check.status = Status.WARN
        check.explained_by = root
        check.fix = f"follows from {root}"


def _state(report: ClusterReport, way: str) -> str:
    """'fresh', 'missing' or 'skipped' for the PromQL checks of one way ('amp' or 'kubecost')."""
    found = [report.get(f"promql.{way}.{m}") for m in METRIC_IDS]
    if any(c is None or c.status is Status.SKIP for c in found):
        return "skipped"
    return "fresh" if all(c is not None and c.status is Status.PASS for c in found) else "missing"


def _evidence(report: ClusterReport, way: str) -> str:
    for metric in METRIC_IDS:
        check = report.get(f"promql.{way}.{metric}")
        if check is not None and check.status not in (Status.PASS, Status.SKIP):
            return check.evidence
    return ""


def _summary(report: ClusterReport, selector: str, others: Sequence[str], erring: Sequence[str]) -> str:
    amp, kubecost = _state(report, "amp"), _state(report, "kubecost")
    red = [c.id for c in report.checks if c.status is Status.FAIL]
    if amp == "fresh" and kubecost == "fresh":
        if red:
            return f"Data flows through both paths, but {', '.join(red)} failed."
        return f"Kubecost reads fresh {selector} data from AMP, directly and through its sigv4 proxy."
    if "amp" in erring:
        return (
            "Doctor cannot query the workspace directly with its own credentials, so only the path through "
            "Kubecost was judged; give them aps:QueryMetrics (AmazonPrometheusQueryAccess) and re-run."
        )
    if amp == "fresh" and kubecost == "skipped":
        return f"Data for {selector} reaches AMP; Kubecost itself could not be checked (see the failures above)."
    if amp == "fresh":
        return (
            f"Data for {selector} reaches AMP, but Kubecost cannot read it: the break is on the query side "
            "(the sigv4 proxy sidecar, the cost-analyzer role, or sigV4Proxy's region/host)."
        )
    cluster_id = report.get("values.cluster-id")
    if amp == "missing" and (others or (cluster_id is not None and cluster_id.status is Status.FAIL)):
        label = selector.split("=", 1)[0]
        where = ", ".join(f'{label}="{v}"' for v in others) or "another cluster_id"
        return (
            f"AMP has fresh data under {where}, none under {selector}: the series carry another cluster label; "
            "make cluster_id equal kubecostProductConfigs.clusterName (or adapt promClusterIDLabel)."
        )
    if amp == "missing" and "kubecost" in erring:
        return (
            f"Both sides are broken: no fresh {selector} data reaches AMP and Kubecost's queries fail; "
            "look for a cause they share (the OIDC provider, the workspace, the region)."
        )
    if amp == "missing":
        return (
            f"No fresh {selector} data in AMP: the break is on the write side "
            "(prometheus-server's remote write, its IAM role, or the remote-write URL)."
        )
    workspace = report.get("identity.workspace")
    if workspace is not None and workspace.status is Status.FAIL:
        return "The AMP workspace is missing: Prometheus cannot write to it and Kubecost cannot read from it."
    return "The PromQL checks could not run; fix the failures above first."


def diagnose(
    report: ClusterReport, label: str, cluster_id: str, others: Sequence[str] = (), erring: Sequence[str] = ()
) -> Diagnosis:
    """What the checks say together. `others`: fresh values of `label` in AMP that belong to this cluster's
    series; `erring`: the ways ("amp", "kubecost") whose queries failed outright rather than finding no data."""
    red = [c for c in report.checks if c.status is Status.FAIL]
    explained = [c for c in report.checks if c.explained_by]
    details = [f"{c.id}: {c.evidence}" for c in red]
    for way, name in (("amp", "directly"), ("kubecost", "through Kubecost")):
        shown = _evidence(report, way)
        if shown and not any(shown in d for d in details):
            details.append(f"queried {name}: {shown}")
    details += [f"{c.id}: {c.evidence}" for c in explained if c.area == "logs"]
    if explained:
        details.append("explained by the failures above: " + ", ".join(c.id for c in explained))
    fixes = list(dict.fromkeys(c.fix for c in red if c.fix))
    return Diagnosis(_summary(report, f'{label}="{cluster_id}"', others, erring), details, fixes)
