"""doctor's table: an area that does not apply to a cluster (every check skipped for one reason) is one row;
an area with anything else shows each of its checks."""

from __future__ import annotations

import io

from rich.console import Console

from ampctl.doctor.model import Check, ClusterReport, Status
from ampctl.doctor.report import table

IRSA = "the cluster uses IRSA (checked under irsa.*)"


def rendered(checks: list[Check]) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(table(ClusterReport("east", "ctx", "us-east-2", checks)))
    return console.export_text()


def check(check_id: str, status: Status, evidence: str) -> Check:
    return Check(check_id, check_id.split(".")[0], check_id, status, evidence, "")


def test_an_area_that_does_not_apply_is_one_row() -> None:
    checks = [check("irsa.oidc-provider", Status.PASS, "provider found")]
    checks += [check(f"pod-identity.{name}", Status.SKIP, IRSA) for name in ("agent", "trust", "annotation")]
    text = rendered(checks)
    assert "pod-identity.* (3 checks)" in text and IRSA in text
    assert "pod-identity.agent" not in text and "irsa.oidc-provider" in text


def test_an_area_with_anything_but_one_skip_reason_shows_each_check() -> None:
    checks = [check(f"pod-identity.{name}", Status.SKIP, IRSA) for name in ("agent", "trust")]
    checks.append(check("pod-identity.annotation", Status.FAIL, "annotated with an IRSA role"))
    text = rendered(checks)
    assert "pod-identity.*" not in text
    assert all(f"pod-identity.{name}" in text for name in ("agent", "trust", "annotation"))
