"""The stand-in cost-analyzer charts, rendered by the real helm binaries, and the chart repository."""

from __future__ import annotations

import functools
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from ampctl.sandbox.kubeapi import KubeEmulator
from ampctl.sandbox.kubecost.chartrepo import CHARTS_DIR, build_chart_repo

V1 = CHARTS_DIR / "cost-analyzer-1.108.1"
V2 = CHARTS_DIR / "cost-analyzer-2.8.7"
WS = "ws-0123456789"
REGION = "us-east-2"
FED_STORE = {"kubecostModel.federatedStorageConfigSecret": "kubecost-object-store"}

# The seed's values: config-values.yaml plus its --set flags.
SEED = {
    "global.amp.enabled": "true",
    "global.amp.prometheusServerEndpoint": f"http://localhost:8005/workspaces/{WS}",
    "global.amp.remoteWriteService": (
        f"https://aps-workspaces.{REGION}.amazonaws.com/workspaces/{WS}/api/v1/remote_write"
    ),
    "global.amp.sigv4.region": REGION,
    "sigV4Proxy.region": REGION,
    "sigV4Proxy.host": f"aps-workspaces.{REGION}.amazonaws.com",
    "kubecostProductConfigs.clusterName": "prod-1",
    "kubecostProductConfigs.projectID": "123456789012",
    "prometheus.server.global.external_labels.cluster_id": "prod-1",
    "serviceAccount.create": "false",
    "prometheus.serviceAccounts.server.create": "false",
    "serviceAccount.name": "kubecost-cost-analyzer-amp",
    "prometheus.serviceAccounts.server.name": "kubecost-prometheus-server-amp",
    "federatedETL.useMultiClusterDB": "true",
}


def run_helm(
    helm: str, verb: str, chart: Path, values: dict[str, str], namespace: str = "kubecost", *extra: str
) -> subprocess.CompletedProcess[str]:
    args = [helm, verb, "kubecost", str(chart), "--namespace", namespace, *extra]
    for key, value in values.items():
        args += ["--set", f"{key}={value}"]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def run_template(helm: str, chart: Path, values: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_helm(helm, "template", chart, values)


def render(helm: str, chart: Path, values: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    done = run_template(helm, chart, values)
    assert done.returncode == 0, done.stderr
    return {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(done.stdout) if o}


def containers(objs: dict[tuple[str, str], dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return {c["name"]: c for c in objs[(kind, name)]["spec"]["template"]["spec"]["containers"]}


def env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value") for e in container.get("env") or []}


@pytest.mark.parametrize("chart", [V1, V2], ids=["1.x", "2.x"])
def test_seed_values_render_the_amp_wiring(helm3: str, chart: Path) -> None:
    objs = render(helm3, chart, SEED)
    pod = containers(objs, "Deployment", "kubecost-cost-analyzer")
    proxy = pod["sigv4proxy"]
    assert proxy["args"] == [
        "--name", "aps", "--region", REGION, "--host", f"aps-workspaces.{REGION}.amazonaws.com",
        "--port", ":8005",
    ]  # fmt: skip
    assert proxy["ports"] == [{"name": "aws-sigv4-proxy", "containerPort": 8005}]
    assert env(proxy) == {"AGENT_LOCAL_PORT": "8005"}
    assert {"cost-model", "cost-analyzer-frontend", "sigv4proxy"} <= set(pod)
    assert pod["cost-model"]["ports"][0]["containerPort"] == 9003
    spec = objs[("Deployment", "kubecost-cost-analyzer")]["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == "kubecost-cost-analyzer-amp"
    prom = objs[("Deployment", "kubecost-prometheus-server")]["spec"]["template"]["spec"]
    assert prom["serviceAccountName"] == "kubecost-prometheus-server-amp"
    assert not [k for k in objs if k[0] == "ServiceAccount"]

    cm = objs[("ConfigMap", "kubecost-cost-analyzer")]["data"]
    assert cm["prometheus-server-endpoint"] == f"http://localhost:8005/workspaces/{WS}"
    config = yaml.safe_load(objs[("ConfigMap", "kubecost-prometheus-server")]["data"]["prometheus.yml"])
    assert config["global"]["external_labels"] == {"cluster_id": "prod-1"}
    rw_url = SEED["global.amp.remoteWriteService"]
    assert config["remote_write"] == [{"url": rw_url, "sigv4": {"region": REGION}}]

    ports = {p["name"]: p["port"] for p in objs[("Service", "kubecost-cost-analyzer")]["spec"]["ports"]}
    assert ports == {"tcp-model": 9003, "tcp-frontend": 9090}
    binding = objs[("ClusterRoleBinding", "kubecost-prometheus-server")]
    assert binding["subjects"][0]["name"] == "kubecost-prometheus-server-amp"
    pvc = objs[("PersistentVolumeClaim", "kubecost-prometheus-server")]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "32Gi"
    assert (("PersistentVolumeClaim", "kubecost-cost-analyzer") in objs) is (chart == V1)


@pytest.mark.parametrize("chart", [V1, V2], ids=["1.x", "2.x"])
def test_chart_defaults_and_created_service_accounts(helm3: str, chart: Path) -> None:
    role = "arn:aws:iam::1:role/r"
    objs = render(helm3, chart, {"global.amp.enabled": "true", "sigV4Proxy.role_arn": role})
    args = containers(objs, "Deployment", "kubecost-cost-analyzer")["sigv4proxy"]["args"]
    assert args == [
        "--name", "aps", "--region", "us-west-2", "--host", "aps-workspaces.us-west-2.amazonaws.com",
        "--role-arn", role, "--port", ":8005",
    ]  # fmt: skip
    assert ("ServiceAccount", "kubecost-cost-analyzer") in objs
    assert ("ServiceAccount", "kubecost-prometheus-server") in objs
    spec = objs[("Deployment", "kubecost-cost-analyzer")]["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == "kubecost-cost-analyzer"
    without_amp = render(helm3, chart, {})
    assert "sigv4proxy" not in containers(without_amp, "Deployment", "kubecost-cost-analyzer")
    config = yaml.safe_load(without_amp[("ConfigMap", "kubecost-prometheus-server")]["data"]["prometheus.yml"])
    assert "remote_write" not in config


@pytest.mark.parametrize("chart", [V1, V2], ids=["1.x", "2.x"])
def test_remote_write_twice_emits_a_duplicate_key(helm3: str, chart: Path) -> None:
    objs = render(helm3, chart, {**SEED, "prometheus.server.remoteWrite[0].url": "http://other/api/v1/write"})
    text = objs[("ConfigMap", "kubecost-prometheus-server")]["data"]["prometheus.yml"]
    assert [line for line in text.splitlines() if line.startswith("remote_write:")] == ["remote_write:"] * 2


def test_promclusteridlabel_sets_env(helm3: str) -> None:
    objs = render(helm3, V2, {**SEED, "kubecostModel.promClusterIDLabel": "cluster"})
    model = containers(objs, "Deployment", "kubecost-cost-analyzer")["cost-model"]
    assert env(model)["PROM_CLUSTER_ID_LABEL"] == "cluster"


def _federated_mount(pod: dict[str, Any]) -> None:
    model = pod["cost-model"]
    mount = {"name": "federated-storage-config", "mountPath": "/var/configs/etl/federated", "readOnly": True}
    assert mount in model["volumeMounts"]
    values = env(model)
    assert values["FEDERATED_STORE_CONFIG"] == "/var/configs/etl/federated/federated-store.yaml"
    assert values["FEDERATED_CLUSTER"] == "true"
    assert values["CURRENT_CLUSTER_ID_FILTER_ENABLED"] == "true"


def test_1x_primary_renders_the_federator(helm3: str) -> None:
    values = {
        **SEED, **FED_STORE,
        "federatedETL.federatedCluster": "true", "federatedETL.primaryCluster": "true",
        "federatedETL.federator.enabled": "true", "federatedETL.federator.primaryClusterID": "prod-1",
    }  # fmt: skip
    objs = render(helm3, V1, values)
    pod = containers(objs, "Deployment", "kubecost-cost-analyzer")
    _federated_mount(pod)
    volumes = objs[("Deployment", "kubecost-cost-analyzer")]["spec"]["template"]["spec"]["volumes"]
    assert {"name": "federated-storage-config", "secret": {"secretName": "kubecost-object-store"}} in volumes
    federator = objs[("Deployment", "kubecost-federator")]["spec"]["template"]["spec"]
    assert federator["serviceAccountName"] == "kubecost-cost-analyzer-amp"
    assert federator["containers"][0]["ports"][0]["containerPort"] == 9001
    agent = render(helm3, V1, {**SEED, **FED_STORE, "federatedETL.federatedCluster": "true"})
    assert ("Deployment", "kubecost-federator") not in agent


def test_1x_rejects_use_existing_s3_config(helm3: str) -> None:
    done = run_template(helm3, V1, {**SEED, "federatedETL.useExistingS3Config": "true"})
    assert done.returncode != 0
    assert "useExistingS3Config" in done.stderr


def test_2x_primary_renders_the_aggregator(helm3: str) -> None:
    values = {
        **SEED, **FED_STORE, "federatedETL.federatedCluster": "true",
        "kubecostAggregator.deployMethod": "statefulset",
        "kubecostProductConfigs.productKey.secretname": "kubecost-product-key",
    }  # fmt: skip
    objs = render(helm3, V2, values)
    pod = containers(objs, "Deployment", "kubecost-cost-analyzer")
    _federated_mount(pod)
    assert {"name": "productkey-secret", "mountPath": "/var/configs/productkey", "readOnly": True} in (
        pod["cost-model"]["volumeMounts"]
    )
    assert "aggregator" not in pod
    aggregator = objs[("StatefulSet", "kubecost-aggregator")]["spec"]["template"]["spec"]
    assert aggregator["serviceAccountName"] == "kubecost-cost-analyzer-amp"
    assert aggregator["containers"][0]["ports"][0]["containerPort"] == 9004
    cloud = objs[("Deployment", "kubecost-cloud-cost")]["spec"]["template"]["spec"]
    assert cloud["serviceAccountName"] == "kubecost-cost-analyzer-amp"
    assert cloud["containers"][0]["ports"][0]["containerPort"] == 9005


def test_2x_agent_only_has_no_frontend(helm3: str) -> None:
    values = {
        **SEED, **FED_STORE, "federatedETL.federatedCluster": "true", "federatedETL.agentOnly": "true",
        "kubecostAggregator.deployMethod": "disabled",
    }  # fmt: skip
    objs = render(helm3, V2, values)
    assert set(containers(objs, "Deployment", "kubecost-cost-analyzer")) == {"cost-model", "sigv4proxy"}
    assert not [k for k in objs if k[1] in ("kubecost-aggregator", "kubecost-cloud-cost")]


def test_2x_refuses_default_cluster_id_with_a_federated_store(helm3: str) -> None:
    values = {**SEED, **FED_STORE, "prometheus.server.global.external_labels.cluster_id": "cluster-one"}
    done = run_template(helm3, V2, values)
    assert done.returncode != 0
    assert "cluster_id" in done.stderr
    assert run_template(helm3, V1, values).returncode == 0


@pytest.mark.parametrize("chart", [V1, V2], ids=["1.x", "2.x"])
def test_helm4_renders_the_same(helm3: str, helm4: str, chart: Path) -> None:
    assert render(helm4, chart, SEED) == render(helm3, chart, SEED)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KubeEmulator, str]]:
    kube = KubeEmulator(clusters=["helm3", "helm4"])  # one cluster per helm: ClusterRoles are global
    kube.start()
    kubeconfig = tmp_path_factory.mktemp("kube") / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(kube.kubeconfig()))
    yield kube, str(kubeconfig)
    kube.stop()


def create_namespace(store: Any, namespace: str) -> None:
    """The namespace and the service accounts the seed creates before installing."""
    store.create("v1", "namespaces", {"metadata": {"name": namespace}})
    for name in (SEED["serviceAccount.name"], SEED["prometheus.serviceAccounts.server.name"]):
        store.create("v1", "serviceaccounts", {"metadata": {"name": name, "namespace": namespace}})


def test_2x_install_needs_the_object_store_secret(helm3: str, helm4: str, cluster: tuple[KubeEmulator, str]) -> None:
    kube, kubeconfig = cluster
    values = {**SEED, **FED_STORE}
    for helm, context in ((helm3, "helm3"), (helm4, "helm4")):
        store, where = kube.store(context), ("--kubeconfig", kubeconfig, "--kube-context", context)
        create_namespace(store, "fed")
        done = run_helm(helm, "install", V2, values, "fed", *where)
        assert done.returncode != 0
        assert 'the Secret "kubecost-object-store" does not exist' in done.stderr
        secret = {"metadata": {"name": "kubecost-object-store", "namespace": "fed"}, "stringData": {"x": "y"}}
        store.create("v1", "secrets", secret)
        done = run_helm(helm, "install", V2, values, "fed", *where)
        assert "has no key federated-store.yaml" in done.stderr
        store.replace("v1", "secrets", {**secret, "stringData": {"federated-store.yaml": "type: S3"}})
        done = run_helm(helm, "install", V2, values, "fed", *where)
        assert done.returncode == 0, done.stderr
        deployment = store.get("apps/v1", "deployments", "fed", "kubecost-cost-analyzer")
        assert deployment is not None
        assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "kubecost-cost-analyzer-amp"
        uninstall = [helm, "uninstall", "kubecost", "--namespace", "fed", *where]
        assert subprocess.run(uninstall, capture_output=True, timeout=60).returncode == 0


def test_1x_installs_with_both_helms(helm3: str, helm4: str, cluster: tuple[KubeEmulator, str]) -> None:
    kube, kubeconfig = cluster
    for helm, context in ((helm3, "helm3"), (helm4, "helm4")):
        create_namespace(kube.store(context), "v1")
        done = run_helm(helm, "install", V1, SEED, "v1", "--kubeconfig", kubeconfig, "--kube-context", context)
        assert done.returncode == 0, done.stderr
        cm = kube.store(context).get("v1", "configmaps", "v1", "kubecost-cost-analyzer")
        assert cm is not None
        assert cm["data"]["prometheus-server-endpoint"] == f"http://localhost:8005/workspaces/{WS}"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


@pytest.fixture()
def served_repo(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    dest = tmp_path / "repo"
    dest.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(dest))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/charts"
    try:
        yield dest, url
    finally:
        server.shutdown()
        server.server_close()


def test_chart_repo_serves_both_versions(helm3: str, served_repo: tuple[Path, str], tmp_path: Path) -> None:
    root, url = served_repo
    build_chart_repo(root / "charts", url)
    index = yaml.safe_load((root / "charts" / "index.yaml").read_text())
    assert index["apiVersion"] == "v1"
    versions = [e["version"] for e in index["entries"]["cost-analyzer"]]
    assert versions == ["2.8.7", "1.108.1"]
    with tarfile.open(root / "charts" / "cost-analyzer-2.8.7.tgz") as tar:
        assert {n.split("/", 1)[0] for n in tar.getnames()} == {"cost-analyzer"}
        assert "cost-analyzer/Chart.yaml" in tar.getnames()

    helm_env = {f"HELM_{k}_HOME": str(tmp_path / k.lower()) for k in ("CACHE", "CONFIG", "DATA")}
    for version in ("2.8.7", "1.108.1"):
        out = tmp_path / f"pulled-{version}"
        out.mkdir()
        done = subprocess.run(
            [helm3, "pull", "cost-analyzer", "--repo", url, "--version", version, "-d", str(out)],
            capture_output=True, text=True, timeout=60, env=helm_env,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        pulled = out / f"cost-analyzer-{version}.tgz"
        assert pulled.read_bytes() == (root / "charts" / pulled.name).read_bytes()
        objs = render(helm3, pulled, SEED)
        assert ("Deployment", "kubecost-cost-analyzer") in objs

    build_chart_repo(root / "charts", url)  # rebuilding gives identical archives (stable digests)
    again = yaml.safe_load((root / "charts" / "index.yaml").read_text())
    assert [e["digest"] for e in again["entries"]["cost-analyzer"]] == [
        e["digest"] for e in index["entries"]["cost-analyzer"]
    ]
