"""The real Kubecost charts on the sandbox's Kubernetes emulator: every chart in `../shared/charts`,
with the values ampctl renders, installs with `helm upgrade --install --wait` (CRDs included), every
object it renders is stored and served by discovery and OpenAPI, and its workloads' pods come up."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config

from ampctl.sandbox.kubeapi import KubeEmulator
from ampctl.sandbox.kubeapi.resources import by_kind
from tests.sandbox.real_charts import (
    OBJECT_STORE,
    VERSIONS,
    chart_package,
    needs_real_charts,
    render_values,
    template,
)

pytestmark = needs_real_charts
NS = "kubecost"
# Every primary, and the 2.9 agent (agentOnly with the finops-agent subchart; the session sandbox runs 2.8.7 agents).
INSTALLS = [(v, False) for v in VERSIONS] + [(v, True) for v in ("2.9.7",)]


def _name(version: str, agent: bool) -> str:
    return f"v{version.replace('.', '-')}{'-agent' if agent else ''}"


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KubeEmulator, Path]]:
    emulator = KubeEmulator(clusters=[_name(v, a) for v, a in INSTALLS])  # one cluster each: ClusterRoles are global
    emulator.start()
    kubeconfig = tmp_path_factory.mktemp("kube") / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(emulator.kubeconfig()))
    yield emulator, kubeconfig
    emulator.stop()


def _prepare(emulator: KubeEmulator, cluster: str) -> None:
    """What ampctl creates before helm: the namespace, both service accounts, the object-store Secret."""
    store = emulator.store(cluster)
    store.create("v1", "namespaces", {"metadata": {"name": NS}})
    for account in ("kubecost-cost-analyzer-amp", "kubecost-prometheus-server-amp"):
        store.create("v1", "serviceaccounts", {"metadata": {"name": account, "namespace": NS}})
    config = {"type": "S3", "config": {"bucket": "kc-etl", "region": "us-east-2", "aws_sdk_auth": True}}
    secret = {"metadata": {"name": OBJECT_STORE, "namespace": NS}}
    store.create("v1", "secrets", {**secret, "stringData": {"federated-store.yaml": yaml.safe_dump(config)}})


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


@pytest.mark.parametrize(("version", "agent"), INSTALLS, ids=[_name(v, a) for v, a in INSTALLS])
def test_real_chart_installs_and_comes_up(
    helm3: str, kube: tuple[KubeEmulator, Path], tmp_path: Path, version: str, agent: bool
) -> None:
    emulator, kubeconfig = kube
    cluster = _name(version, agent)
    values = render_values(tmp_path / "values", version, cluster, agent)
    rendered = template(helm3, chart_package(version), values, NS)
    _prepare(emulator, cluster)
    args = [helm3, "upgrade", "--install", "kubecost", str(chart_package(version)), "--namespace", NS]
    args += ["--kubeconfig", str(kubeconfig), "--kube-context", cluster, "--wait", "--timeout", "90s"]
    for path in values:
        args += ["-f", str(path)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr

    store, base = emulator.store(cluster), emulator.url(cluster)
    kinds = set()
    for (kind, name), obj in rendered.items():
        if "helm.sh/hook" in (obj["metadata"].get("annotations") or {}):
            continue  # test hooks are not installed
        rt = by_kind(obj["apiVersion"], kind)
        assert rt is not None, f"{obj['apiVersion']} {kind} is not served"
        kinds.add((obj["apiVersion"], kind, rt.plural))
        assert store.get(obj["apiVersion"], rt.plural, NS if rt.namespaced else None, name) is not None, (kind, name)
        if kind in ("Deployment", "StatefulSet"):
            live = store.get(obj["apiVersion"], rt.plural, NS, name) or {}
            wanted = int(live["spec"].get("replicas", 1))
            assert int((live.get("status") or {}).get("readyReplicas", 0)) == wanted, (kind, name, live.get("status"))
    crds = store.list("apiextensions.k8s.io/v1", "customresourcedefinitions")
    assert all(
        any(c["type"] == "Established" and c["status"] == "True" for c in crd["status"]["conditions"]) for crd in crds
    )

    openapi = _get(f"{base}/openapi/v3")["paths"]
    for group_version, kind, plural in sorted(kinds):
        prefix = "api" if "/" not in group_version else "apis"
        listed = _get(f"{base}/{prefix}/{group_version}")["resources"]
        assert any(r["kind"] == kind and r["name"] == plural for r in listed), (group_version, kind)
        assert f"{prefix}/{group_version}" in openapi

    pods = store.list("v1", "pods", NS)
    assert pods and all(p["status"]["phase"] == "Running" for p in pods)
    # The official client parses them (the charts' bare-number resource quantities come back as strings).
    api = config.new_client_from_config(config_file=str(kubeconfig), context=cluster)
    listed = client.CoreV1Api(api).list_namespaced_pod(NS).items
    assert sorted(p.metadata.name for p in listed) == sorted(p["metadata"]["name"] for p in pods)
    if version.startswith("2.9."):  # the finops-agent subchart, as the cost-analyzer's service account
        agent_pods = [p for p in pods if p["metadata"]["name"].startswith("kubecost-finopsagent-")]
        assert [p["spec"]["serviceAccountName"] for p in agent_pods] == ["kubecost-cost-analyzer-amp"]
