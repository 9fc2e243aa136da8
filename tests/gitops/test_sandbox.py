"""GitOps on the sandbox: bootstrap --no-helm and add-cluster --no-helm set up everything but the releases and mark
the fleet GitOps-managed; helm, standing in for the engine, installs each cluster with the values `render --gitops`
wrote; doctor is green on the three clusters and names a cluster whose values drifted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import TOOLS, Sandbox, ok
from tests.fleet.fleetfile import EAST, PRIMARY, WEST, fleet_yaml

CLUSTERS = (PRIMARY, EAST, WEST)


def helm(sandbox: Sandbox, cluster: str, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [str(TOOLS / "helm3"), "--kubeconfig", sandbox.state.kubeconfig, "--kube-context", sandbox.context(cluster)]
    return subprocess.run([*argv, *args], capture_output=True, text=True, timeout=300)


# Flux's helm-controller labels every object it applies with its HelmRelease (internal/postrender, v1.6.3):
# the stand-in does the same with a helm post-renderer.
FLUX_LABELS = """import sys, yaml
docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
for d in docs:
    d.setdefault("metadata", {}).setdefault("labels", {}).update(
        {"helm.toolkit.fluxcd.io/name": "kubecost", "helm.toolkit.fluxcd.io/namespace": "flux-system"})
yaml.safe_dump_all(docs, sys.stdout)
"""


def flux_labels(directory: Path) -> str:
    (directory / "flux-labels.py").write_text(FLUX_LABELS)
    script = directory / "flux-labels"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} {directory / 'flux-labels.py'}\n")
    script.chmod(0o755)
    return str(script)


def engine_install(sandbox: Sandbox, cluster: str, values: Path, *extra: str) -> None:
    """What Flux's helm-controller does with the HelmRelease: install the chart with the cluster's values."""
    extra = ("--post-renderer", flux_labels(values.parents[2]), *extra)
    release = yaml.safe_load((values.parent / "helmrelease.yaml").read_text())["spec"]
    version = release["chart"]["spec"]["version"]  # the sandbox's chart repository: a HelmRepository source
    proc = helm(
        sandbox, cluster, "upgrade", "--install", "kubecost", "cost-analyzer", "--repo", sandbox.state.chart_repo,
        "--version", version, "-n", "kubecost", "-f", str(values), *extra,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def gitops(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("gitops")
    sandbox.reset()
    (work / "ampctl.yaml").write_text(fleet_yaml(sandbox))
    (work / "west.yaml").write_text("kubecostProductConfigs:\n  labelMappingConfigs:\n    team_label: team\n")
    ok(sandbox.ampctl("bootstrap", "-F", "ampctl.yaml", "--no-helm", "--yes", cwd=work))
    ok(sandbox.ampctl("add-cluster", "-F", "ampctl.yaml", "--no-helm", "--parallel", "2", "--yes", cwd=work))
    return work


def test_no_helm_sets_up_everything_but_the_release(sandbox: Sandbox, gitops: Path) -> None:
    amp = sandbox.client("amp")
    ws = next(w for w in amp.list_workspaces()["workspaces"] if w.get("alias") == "kubecost-amp")
    tags = amp.describe_workspace(workspaceId=ws["workspaceId"])["workspace"]["tags"]
    assert tags["ampctl/releases"] == "gitops"
    for cluster in CLUSTERS:
        kube = sandbox.kube(cluster)
        assert kube.read_namespaced_secret("kubecost-object-store", "kubecost").data["federated-store.yaml"]
        assert kube.read_namespaced_service_account("kubecost-cost-analyzer-amp", "kubecost").metadata.annotations
        assert json.loads(helm(sandbox, cluster, "list", "-n", "kubecost", "-o", "json").stdout) == []
    again = ok(sandbox.ampctl("bootstrap", "-F", "ampctl.yaml", "--no-helm", "--yes", "-o", "json", cwd=gitops))
    assert [s for c in again["clusters"] for s in c["steps"] if s["action"] != "unchanged"] == []


def test_a_direct_helm_run_on_a_gitops_fleet_is_refused(sandbox: Sandbox, gitops: Path) -> None:
    sandbox.clear_aws_calls()
    proc = sandbox.ampctl("add-cluster", "-F", "ampctl.yaml", "--only", EAST, "--yes", cwd=gitops)
    text = " ".join(proc.stderr.split())
    assert proc.returncode == 1, proc.stderr
    assert "GitOps-managed" in text and "the fleet's GitOps engine owns" in text and "--no-helm" in text, text
    assert "--override-fleet-shape" in text and "Traceback" not in text
    assert sandbox.aws_mutations() == []


def test_engine_installs_the_rendered_values_and_doctor_is_green(sandbox: Sandbox, gitops: Path) -> None:
    ok(sandbox.ampctl("render", "-F", "ampctl.yaml", "--gitops", "flux", "--out-dir", "out", cwd=gitops))
    for cluster in CLUSTERS:
        engine_install(sandbox, cluster, gitops / "out" / "clusters" / cluster / "values.yaml")
    report = checks(sandbox, gitops)
    for cluster in CLUSTERS:
        assert report[cluster]["release.owner"]["evidence"] == "Flux HelmRelease flux-system/kubecost"
        assert report[cluster]["values.gitops-drift"]["status"] == "pass", report[cluster]["values.gitops-drift"]
    status = ok(sandbox.ampctl("status", "-F", "ampctl.yaml", "-o", "json", cwd=gitops))
    assert {c["cluster"]: c["owner"] for c in status["clusters"]} == dict.fromkeys(
        CLUSTERS, "Flux HelmRelease flux-system/kubecost"
    )


def test_doctor_names_the_cluster_whose_values_drifted(sandbox: Sandbox, gitops: Path) -> None:
    values = gitops / "out" / "clusters" / WEST / "values.yaml"
    engine_install(sandbox, WEST, values, "--set", "reporting.productAnalytics=true")
    report = checks(sandbox, gitops)
    drift = report[WEST]["values.gitops-drift"]
    assert drift["status"] == "warn" and "reporting.productAnalytics" in drift["evidence"], drift
    assert [c for c in CLUSTERS if report[c]["values.gitops-drift"]["status"] != "pass"] == [WEST]


def checks(sandbox: Sandbox, work: Path) -> dict[str, dict[str, dict]]:
    proc = sandbox.ampctl("doctor", "-F", "ampctl.yaml", "-o", "json", cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    return {c["cluster"]: {check["id"]: check for check in c["checks"]} for c in result["clusters"]}


def test_doctor_says_why_an_argocd_cluster_has_no_release(sandbox: Sandbox, gitops: Path, kubectl: str) -> None:
    """Argo CD applies `helm template`'s objects itself: no helm release, the tracking annotation on the objects."""
    assert helm(sandbox, EAST, "uninstall", "kubecost", "-n", "kubecost").returncode == 0
    tracking = "kubecost-sandbox-east:apps/Deployment:kubecost/kubecost-cost-analyzer"
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "kubecost-cost-analyzer", "namespace": "kubecost",
                     "annotations": {"argocd.argoproj.io/tracking-id": tracking}},
        "spec": {"selector": {"matchLabels": {"app": "cost-analyzer"}},
                 "template": {"metadata": {"labels": {"app": "cost-analyzer"}},
                              "spec": {"containers": [{"name": "cost-model", "image": "cost-model"}]}}},
    }  # fmt: skip
    (gitops / "argocd-deployment.yaml").write_text(yaml.safe_dump(deployment))
    argv = [kubectl, "--kubeconfig", sandbox.state.kubeconfig, "--context", sandbox.context(EAST), "apply", "-f"]
    applied = subprocess.run([*argv, str(gitops / "argocd-deployment.yaml")], capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    proc = sandbox.ampctl("doctor", "-F", "ampctl.yaml", "--only", EAST, "-o", "json", cwd=gitops)
    assert proc.returncode != 0
    status = {c["id"]: c for c in json.loads(proc.stdout)["clusters"][0]["checks"]}["release.status"]
    assert "Argo CD application kubecost-sandbox-east applies the chart's objects without one" in status["evidence"]
