"""Doctor knows the chart line: the installed values must hold the line's contract keys, and on 2.9 the
finops-agent must reach the bucket under its ServiceAccount's role.

The sandbox serves stand-in charts for 1.108.1 and 2.8.7 only, so the 2.9 cases install the 2.8.7 stand-in
relabelled 2.9.7 with the values `ampctl render --kubecost-version 2.9.7` writes: doctor reads the release's
chart version and values, the ServiceAccounts and the IAM roles, all of which are real here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ampctl.sandbox.kubecost.chartrepo import CHARTS_DIR
from tests.conftest import TOOLS, Sandbox

PRIMARY = "sandbox-primary"


@pytest.fixture(scope="module")
def primary(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A federated primary installed by ampctl (2.8.7 stand-in); its work directory."""
    sandbox.reset()
    work = tmp_path_factory.mktemp("chartline")
    proc = sandbox.ampctl("bootstrap", "--federated", "--yes", "--context", sandbox.context(PRIMARY), cwd=work)
    assert proc.returncode == 0, proc.stderr
    yield work


def doctor(sandbox: Sandbox, cwd: Path) -> dict:
    proc = sandbox.ampctl("doctor", "-o", "json", "--context", sandbox.context(PRIMARY), cwd=cwd, timeout=240)
    assert proc.returncode in (0, 2), proc.stderr
    report = json.loads(proc.stdout)
    return {c["id"]: c for c in report["clusters"][0]["checks"]}


def install(sandbox: Sandbox, work: Path, version: str, *sets: str) -> None:
    """helm upgrade the release with ampctl's values for `version` on the stand-in chart labelled `version`."""
    out = work / f"render-{version}"
    shutil.rmtree(out, ignore_errors=True)
    context = sandbox.context(PRIMARY)
    proc = sandbox.ampctl(
        "render", "--federated", "--context", context, "--kubecost-version", version, "--out-dir", str(out), cwd=work
    )
    assert proc.returncode == 0, proc.stderr
    chart = work / f"chart-{version}"
    if not chart.exists():
        shutil.copytree(CHARTS_DIR / "cost-analyzer-2.8.7", chart)
        meta = chart / "Chart.yaml"
        meta.write_text(meta.read_text().replace("2.8.7", version))
    argv = [str(TOOLS / "helm3"), "upgrade", "kubecost", str(chart), "-n", "kubecost"]
    argv += ["--kubeconfig", sandbox.state.kubeconfig, "--kube-context", context]
    for path in sorted(out.glob("0*.yaml")):
        argv += ["-f", str(path)]
    for item in sets:
        argv += ["--set", item]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_doctor_passes_2_9_values_and_fails_when_the_agent_role_loses_the_bucket(
    sandbox: Sandbox, primary: Path
) -> None:
    install(sandbox, primary, "2.9.7")
    checks = doctor(sandbox, primary)
    assert checks["values.line-contract"]["status"] == "pass", checks["values.line-contract"]
    assert "chart 2.9.7 (2.9), federated primary" in checks["values.line-contract"]["evidence"]
    finops = checks["federated.finops-agent"]
    assert finops["status"] == "pass", finops
    assert "kubecost/kubecost-cost-analyzer-amp (kubecost-sandbox-primary-cost-analyzer)" in finops["evidence"]
    assert "read and write on s3://kubecost-etl-" in finops["evidence"]

    iam = sandbox.client("iam")
    role = "kubecost-sandbox-primary-cost-analyzer"
    arn = f"arn:aws:iam::{sandbox.state.account}:policy/kubecost-s3-federated-policy-sandbox-primary"
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    try:
        checks = doctor(sandbox, primary)
    finally:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert checks["irsa.cost-analyzer.policies"]["status"] == "fail"
    finops = checks["federated.finops-agent"]  # the same cause: shown as a warning pointing there
    assert (finops["status"], finops.get("explained_by")) == ("warn", "irsa.cost-analyzer.policies")
    assert "does not allow s3:GetObject, s3:PutObject" in finops["evidence"]


def test_doctor_fails_2_9_values_that_break_the_line_contract(sandbox: Sandbox, primary: Path) -> None:
    broken = ("global.clusterId=other", "finopsagent.serviceAccount.name=kubecost-finops")
    install(sandbox, primary, "2.9.7", *broken, "federatedETL.useMultiClusterDB=false")
    checks = doctor(sandbox, primary)
    contract = checks["values.line-contract"]
    assert contract["status"] == "fail"
    assert "global.clusterId is other, the cluster_id label is sandbox-primary" in contract["evidence"]
    assert "federatedETL.useMultiClusterDB is False: cost-model computes every cluster" in contract["evidence"]
    assert "ampctl bootstrap --federated" in contract["fix"]
    finops = checks["federated.finops-agent"]
    assert finops["status"] == "fail"
    assert "serviceaccount kubecost/kubecost-finops, which does not exist" in finops["evidence"]
