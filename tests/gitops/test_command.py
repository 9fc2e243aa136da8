"""`ampctl render --gitops` through the CLI, offline from a fleet file (EKS context ARNs, a workspace id): no AWS,
no kubeconfig; bad input is one line and writes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

FLEET = """apiVersion: ampctl/v1
kind: Fleet
name: prod
region: eu-west-1
federated: true
workspace_id: ws-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d
kubecost_version: 2.9.7
primary:
  context: arn:aws:eks:eu-west-1:012345678901:cluster/hub
clusters:
  - context: arn:aws:eks:eu-west-1:012345678901:cluster/east
  - context: arn:aws:eks:eu-west-1:012345678901:cluster/west
    values: [west.yaml]
"""


def run(tmp_path: Path, *args: str) -> tuple[int, str]:
    (tmp_path / "ampctl.yaml").write_text(FLEET)
    (tmp_path / "west.yaml").write_text("kubecostProductConfigs:\n  labelMappingConfigs:\n    team_label: team\n")
    argv = ["render", "-F", str(tmp_path / "ampctl.yaml"), "--out-dir", str(tmp_path / "out"), *args]
    env = {**os.environ, "KUBECONFIG": str(tmp_path / "none"), "AMPCTL_CHART_REPO": "", "AWS_PROFILE": ""}
    proc = subprocess.run([sys.executable, "-m", "ampctl", *argv], capture_output=True, text=True, env=env, timeout=60)
    return proc.returncode, proc.stdout + proc.stderr


def test_argocd_from_a_fleet_file(tmp_path: Path) -> None:
    code, out = run(tmp_path, "--gitops", "argocd", "--git-repo", "https://git.example.com/fleet.git")
    assert code == 0, out
    values = {p.stem: yaml.safe_load(p.read_text()) for p in (tmp_path / "out" / "values").glob("*.yaml")}
    assert set(values) == {"hub", "east", "west"}
    assert values["hub"]["kubecostAggregator"]["deployMethod"] == "statefulset"
    assert values["east"]["federatedETL"]["agentOnly"] is True
    assert values["west"]["kubecostProductConfigs"]["labelMappingConfigs"] == {"team_label": "team"}
    assert values["west"]["global"]["clusterId"] == "west"
    appset = yaml.safe_load((tmp_path / "out" / "argocd" / "applicationset.yaml").read_text())
    assert appset["spec"]["template"]["spec"]["sources"][1]["repoURL"] == "https://git.example.com/fleet.git"
    assert "Secret" not in {
        o.get("kind")
        for p in (tmp_path / "out").rglob("*.yaml")
        for o in yaml.safe_load_all(p.read_text())
        if isinstance(o, dict)
    }
    assert (tmp_path / "out" / "README.md").read_text().startswith("# Kubecost for fleet prod through Argo CD")


def test_flux_from_a_fleet_file(tmp_path: Path) -> None:
    code, out = run(tmp_path, "--gitops", "flux", "--only", "east")
    assert code == 0, out
    assert sorted(p.name for p in (tmp_path / "out" / "clusters").iterdir()) == ["east"]
    values = yaml.safe_load((tmp_path / "out" / "clusters" / "east" / "values.yaml").read_text())
    assert values["federatedETL"]["agentOnly"] is True


def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    for args, message in [
        (("--gitops", "spinnaker"), "unknown --gitops engine 'spinnaker'"),
        (("--gitops", "argocd"), "--gitops argocd needs the Git repository"),
        (("--gitops", "flux", "--set", "a.b=c"), "--set has no place in GitOps values files"),
        (("--gitops", "flux", "--kubecost-version", "2.9.1"), "Kubecost 2.9.1 cannot run on AMP"),
        (("--gitops", "flux", "--kubecost-version", "3.2.1"), "render --gitops are not available for Kubecost 3.x"),
    ]:
        code, out = run(tmp_path, *args)
        assert code == 1, out
        assert message in out
        assert "Traceback" not in out
        assert not (tmp_path / "out").exists()
