"""Doctor knows the chart line: the installed values must hold the line's contract keys, and on 2.9 the
finops-agent must reach the bucket under its ServiceAccount's role."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Sandbox

PRIMARY = "sandbox-primary"


def doctor(sandbox: Sandbox, cwd: Path) -> dict:
    proc = sandbox.ampctl("doctor", "-o", "json", "--context", sandbox.context(PRIMARY), cwd=cwd, timeout=240)
    assert proc.returncode in (0, 2), proc.stderr
    report = json.loads(proc.stdout)
    return {c["id"]: c for c in report["clusters"][0]["checks"]}


def test_doctor_fails_a_primary_without_the_cluster_filter(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    args = ("--federated", "--yes", "--context", sandbox.context(PRIMARY))
    proc = sandbox.ampctl("bootstrap", *args, "--set", "federatedETL.useMultiClusterDB=false", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    checks = doctor(sandbox, tmp_path)
    contract = checks["values.line-contract"]
    assert contract["status"] == "fail"
    assert "federatedETL.useMultiClusterDB is False: cost-model computes every cluster" in contract["evidence"]
    assert "ampctl bootstrap --federated" in contract["fix"]
    assert checks["federated.finops-agent"]["status"] == "pass"
    assert "has no finops-agent" in checks["federated.finops-agent"]["evidence"]
