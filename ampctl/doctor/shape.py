"""The cluster against its fleet's shape (recorded on the workspace by the primary): mode, bucket, chart line,
identity (IRSA or EKS Pod Identity, as the cluster shows it), and the chart version's skew from the primary's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.model import Result, fail, ok, skip, warn

if TYPE_CHECKING:
    from ampctl.fleetshape import FleetShape


def role(facts: Facts, shape: FleetShape | None) -> str:
    if shape is not None and shape.primary:
        return "primary" if shape.primary == facts.cluster else "agent"
    return "primary" if facts.primary else "agent"


def _fix(facts: Facts, shape: FleetShape, what: str) -> str:
    command = "bootstrap" if role(facts, shape) == "primary" else "add-cluster"
    return f"`ampctl {command} --context {facts.target.context} --yes` {what} (it follows the fleet's shape)"


def check(facts: Facts, findings: Findings) -> Result:
    from ampctl.doctor.identitymode import observed
    from ampctl.fleetshape import differences, mode_of

    release = facts.release()
    if release is None:
        return skip("no release")
    shape = facts.fleet_shape()
    mode = mode_of(facts.federated)
    mine = f"{mode} {role(facts, shape)}, cost-analyzer {release.chart_version}"
    if shape is None:
        return warn(
            f"{mine}; the fleet's shape is not recorded on the workspace",
            "re-run `ampctl bootstrap --yes` on the primary: it records the shape that add-cluster follows",
        )
    theirs = shape.describe() + ("" if shape.source == "recorded" else f", {shape.source}")
    found_bucket = facts.bucket(lambda: findings.fleet_shape(facts))[0] if facts.federated else None
    diffs = differences(
        shape, federated=facts.federated, bucket=found_bucket, chart_version=release.chart_version,
        identity=observed(facts),
    )  # fmt: skip
    if diffs:
        return fail(
            f"{mine}: differs from the fleet ({theirs}): {'; '.join(diffs)}", _fix(facts, shape, "reinstalls it")
        )
    if shape.chart_version and release.chart_version != shape.chart_version:
        return warn(
            f"{mine}: the fleet's primary runs {shape.chart_version} (version skew)",
            _fix(facts, shape, f"installs {shape.chart_version}"),
        )
    return ok(f"{mine}: as the fleet ({theirs})")


SPECS = [
    CheckSpec(
        "fleet.shape", "fleet", "Cluster matches the fleet's shape", check, ("release.status", "identity.workspace")
    )
]
