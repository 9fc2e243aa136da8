"""Doctor knows the chart line: the installed values must hold the line's contract keys, and on 2.9 the
finops-agent must reach the bucket under its ServiceAccount's role.

ampctl installs the real 2.9.7 chart, served by the session sandbox from ../shared/charts, on the three
clusters (bootstrap and add-cluster, federated), and doctor passes on all of them; the breaks are helm
upgrades of the primary with the values `ampctl render --kubecost-version 2.9.7` writes plus the break.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TOOLS, Sandbox
from tests.sandbox.real_charts import needs_real_charts

pytestmark = needs_real_charts
PRIMARY = "sandbox-primary"
AGENTS = ("sandbox-east", "sandbox-west")


@pytest.fixture(scope="module")
def primary(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A federated 2.9.7 fleet installed by ampctl (primary, east and west); its work directory."""
    sandbox.reset()
    work = tmp_path_factory.mktemp("chartline")
    version = ("--federated", "--yes", "--kubecost-version", "2.9.7")
    proc = sandbox.ampctl("bootstrap", *version, "--context", sandbox.context(PRIMARY), cwd=work)
    assert proc.returncode == 0, proc.stderr
    agents = [arg for cluster in AGENTS for arg in ("--context", sandbox.context(cluster))]
    proc = sandbox.ampctl("add-cluster", *version, *agents, cwd=work)
    assert proc.returncode == 0, proc.stderr
    yield work
    sandbox.reset()


def doctor(sandbox: Sandbox, cwd: Path) -> dict:
    proc = sandbox.ampctl("doctor", "-o", "json", "--context", sandbox.context(PRIMARY), cwd=cwd, timeout=240)
    assert proc.returncode in (0, 2), proc.stderr
    report = json.loads(proc.stdout)
    return {c["id"]: c for c in report["clusters"][0]["checks"]}


def install(sandbox: Sandbox, work: Path, version: str, *sets: str, chart: Path | None = None) -> None:
    """helm upgrade the release to the real chart `version` (or a chart directory) with ampctl's values for it."""
    out = work / f"render-{version}"
    shutil.rmtree(out, ignore_errors=True)
    context = sandbox.context(PRIMARY)
    proc = sandbox.ampctl(
        "render", "--federated", "--context", context, "--kubecost-version", version, "--out-dir", str(out), cwd=work
    )
    assert proc.returncode == 0, proc.stderr
    argv = [str(TOOLS / "helm3"), "upgrade", "kubecost"]
    argv += [str(chart)] if chart else ["cost-analyzer", "--repo", sandbox.state.chart_repo, "--version", version]
    argv += ["-n", "kubecost"]
    argv += ["--kubeconfig", sandbox.state.kubeconfig, "--kube-context", context]
    for path in sorted(out.glob("0*.yaml")):
        argv += ["-f", str(path)]
    for item in sets:
        argv += ["--set", item]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_doctor_passes_on_a_2_9_fleet(sandbox: Sandbox, primary: Path) -> None:
    proc = sandbox.ampctl("doctor", "--all", "--wait", "2m", "-o", "json", cwd=primary, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:]
    clusters = {c["cluster"]: c["checks"] for c in json.loads(proc.stdout)["clusters"]}
    assert sorted(clusters) == sorted((PRIMARY, *AGENTS))
    for cluster, checks in clusters.items():
        by_id = {c["id"]: c for c in checks}
        role = "primary" if cluster == PRIMARY else "agent"
        assert f"chart 2.9.7 (2.9), federated {role}" in by_id["values.line-contract"]["evidence"]
        assert by_id["values.line-contract"]["status"] == by_id["federated.finops-agent"]["status"] == "pass"
        assert by_id["promql.kubecost.memory"]["status"] == "pass", by_id["promql.kubecost.memory"]
        # federated.objects may wait for the first ETL upload
        not_passing = {c["id"] for c in checks if c["status"] != "pass"}
        assert {c for c in not_passing if not c.startswith("pod-identity.")} <= {"federated.objects"}, cluster
        assert {c["status"] for c in checks if c["id"].startswith("pod-identity.")} == {"skip"}  # an IRSA fleet


def test_doctor_passes_2_9_values_and_fails_when_the_agent_role_loses_the_bucket(
    sandbox: Sandbox, primary: Path
) -> None:
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
    # (a global.clusterId other than the cluster_id label does not install: the real chart fails on it)
    broken = ("pricingConfigmapName=other-pricing", "finopsagent.serviceAccount.name=kubecost-finops")
    install(sandbox, primary, "2.9.7", *broken, "federatedETL.useMultiClusterDB=false")
    checks = doctor(sandbox, primary)
    contract = checks["values.line-contract"]
    assert contract["status"] == "fail"
    assert "pricingConfigmapName is other-pricing: a subchart renders the default name" in contract["evidence"]
    assert "federatedETL.useMultiClusterDB is False: cost-model computes every cluster" in contract["evidence"]
    assert "ampctl bootstrap --federated" in contract["fix"]
    finops = checks["federated.finops-agent"]
    assert finops["status"] == "fail"
    assert "serviceaccount kubecost/kubecost-finops, which does not exist" in finops["evidence"]


def test_doctor_names_a_refused_2_9_release_and_the_upgrade(sandbox: Sandbox, primary: Path) -> None:
    """A cluster installed at 2.9.0 before ampctl refused it: doctor names why and the upgrade. The release is the
    real 2.9.7 chart recorded as 2.9.0 (the packages at 2.9.0 fail on a per-cluster id: there is no such install)."""
    import re
    import tarfile

    from tests.sandbox.real_charts import REAL_CHARTS

    unpacked = primary / "chart-2.9.0"
    with tarfile.open(REAL_CHARTS / "cost-analyzer-2.9.7.tgz") as tar:
        tar.extractall(unpacked, filter="data")
    meta = unpacked / "cost-analyzer" / "Chart.yaml"
    meta.write_text(re.sub(r"^version: 2\.9\.7$", "version: 2.9.0", meta.read_text(), flags=re.M))
    install(sandbox, primary, "2.9.7", chart=unpacked / "cost-analyzer")
    checks = doctor(sandbox, primary)
    release = checks["release.status"]
    assert release["status"] == "pass" and "cost-analyzer 2.9.0" in release["evidence"], release
    contract = checks["values.line-contract"]
    assert contract["status"] == "fail", contract
    assert contract["evidence"].startswith("Kubecost 2.9.0 cannot run on AMP: its chart fails unless")
    context = sandbox.context(PRIMARY)
    upgrade = f"`ampctl bootstrap --federated --context {context} --kubecost-version 2.9.7 --yes`"
    assert contract["fix"] == f"upgrade: {upgrade}"
