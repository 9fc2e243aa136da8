"""What ampctl refuses for the real charts, and that the charts agree it must."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.charts.conftest import (
    ACCOUNT,
    REFUSED,
    REGION,
    WORKSPACE,
    Case,
    helm_template,
    packages,
    requires_charts,
)

pytestmark = requires_charts


def render(tmp_path: Path, version: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """`ampctl render`, fully offline, as a user runs it."""
    args = ["render", "--out-dir", str(tmp_path / "out"), "--cluster", "c1", "--region", REGION]
    args += ["--account", ACCOUNT, "--workspace-id", WORKSPACE, "--kubecost-version", version]
    args += ["--oidc-issuer", f"https://oidc.eks.{REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"]
    return subprocess.run(
        [sys.executable, "-m", "ampctl", *args, *extra], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.id)
def test_quick_start_on_2_9_is_refused_in_one_line(case: Case, tmp_path: Path) -> None:
    result = render(tmp_path, case.version, *([] if case.primary else ["--agent"]))
    assert result.returncode == 1, result.stderr
    assert "federated only" in result.stderr and "Traceback" not in result.stderr
    assert "--federated" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("package", "version"), packages("kubecost"), ids=lambda v: str(v))
def test_kubecost_3_renders_on_the_bucket_and_the_chart_rejects_amp(
    package: Path, version: str, helm3: str, tmp_path: Path
) -> None:
    result = render(tmp_path, version, "--no-federated")
    assert result.returncode == 1, result.stderr
    assert "federated only" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()
    result = render(tmp_path, version, "--bucket", "kubecost-etl-bucket")  # --workspace-id is not needed, nor used
    assert result.returncode == 0, result.stderr
    out = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert "recording-rules.yaml" not in out and "object-store-secret.yaml" in out
    assert "oci://public.ecr.aws/kubecost/kubecost" in (tmp_path / "out" / "helm-command.sh").read_text()
    assert [p for p in out if p.endswith("-trust.json")] == [
        f"iam/kubecost-c1-{component}-trust.json" for component in ("aggregator", "cluster-controller", "finops-agent")
    ]
    values = tmp_path / "amp.yaml"
    values.write_text("global:\n  amp:\n    enabled: true\n  clusterId: c1\n  acknowledged: true\n")
    proc = helm_template(helm3, package, [values])
    assert proc.returncode != 0
    assert "no longer supported" in proc.stderr
