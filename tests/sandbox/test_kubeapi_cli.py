"""The Kubernetes API emulator driven by the real kubectl 1.31, helm 3 and helm 4 binaries."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from ampctl.sandbox.kubeapi import KubeEmulator

CHART = Path(__file__).parent / "data" / "testchart"
CLUSTER = "sandbox-primary"
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def emulator() -> Iterator[KubeEmulator]:
    emu = KubeEmulator([CLUSTER])
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def env(emulator: KubeEmulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("home")
    kubeconfig = home / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(emulator.kubeconfig()))
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "KUBECONFIG": str(kubeconfig),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }


def runner(binary: str, env: dict[str, str]) -> Run:
    def run(*args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [binary, *args], env=env, capture_output=True, text=True, input=stdin, timeout=90, check=False
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{binary} {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done

    return run


@pytest.fixture(scope="module")
def k(kubectl: str, env: dict[str, str]) -> Run:
    return runner(kubectl, env)


def test_kubectl_namespaces(k: Run) -> None:
    assert "default" in k("get", "ns").stdout
    assert "namespace/tools created" in k("create", "ns", "tools").stdout
    listing = json.loads(k("get", "ns", "-o", "json").stdout)
    assert {"default", "kube-system", "kube-public", "tools"} <= {i["metadata"]["name"] for i in listing["items"]}
    assert k("create", "ns", "tools", check=False).stderr.strip().endswith('namespaces "tools" already exists')


MANIFEST = """
apiVersion: v1
kind: ConfigMap
metadata: {name: applied, namespace: tools, labels: {app: demo}}
data: {first: "1", second: "2"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: demo, namespace: tools}
spec:
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      containers:
      - {name: app, image: "nginx:1", env: [{name: MODE, value: one}]}
      - {name: sidecar, image: "proxy:1"}
"""


def test_kubectl_client_side_apply(k: Run, emulator: KubeEmulator) -> None:
    assert "configmap/applied created" in k("apply", "-f", "-", stdin=MANIFEST).stdout
    changed = MANIFEST.replace('second: "2"', 'third: "3"').replace("value: one", "value: two")
    assert "configmap/applied configured" in k("apply", "-f", "-", stdin=changed).stdout
    store = emulator.store(CLUSTER)
    cm = store.get("v1", "configmaps", "tools", "applied")
    assert cm is not None and cm["data"] == {"first": "1", "third": "3"}
    dep = store.get("apps/v1", "deployments", "tools", "demo")
    assert dep is not None
    assert [c["env"] for c in dep["spec"]["template"]["spec"]["containers"] if "env" in c] == [
        [{"name": "MODE", "value": "two"}]
    ]
    assert dep["status"]["readyReplicas"] == 1
    k("rollout", "status", "deployment/demo", "-n", "tools", "--timeout=10s")
    k("scale", "deployment/demo", "-n", "tools", "--replicas=3")
    assert len(store.list("v1", "pods", "tools", "app=demo")) == 3
    k("scale", "deployment/demo", "-n", "tools", "--replicas=1")
    assert len(store.list("v1", "pods", "tools", "app=demo")) == 1
    assert k("auth", "can-i", "create", "deployments", "-n", "tools").stdout.strip() == "yes"


def test_kubectl_server_side_apply(k: Run, emulator: KubeEmulator) -> None:
    manifest = MANIFEST.replace("applied", "ssa").replace("demo", "demo-ssa")
    assert "serverside-applied" in k("apply", "--server-side", "-f", "-", stdin=manifest).stdout
    changed = manifest.replace('second: "2"', 'fourth: "4"')
    k("apply", "--server-side", "-f", "-", stdin=changed)
    cm = emulator.store(CLUSTER).get("v1", "configmaps", "tools", "ssa")
    assert cm is not None and cm["data"] == {"first": "1", "fourth": "4"}
    assert "kubectl" in [e["manager"] for e in cm["metadata"]["managedFields"]]


def test_kubectl_secrets_by_label_and_logs(k: Run, emulator: KubeEmulator) -> None:
    k("create", "secret", "generic", "one", "-n", "tools", "--from-literal=a=b")
    k("create", "secret", "generic", "two", "-n", "tools", "--from-literal=a=c")
    k("label", "secret", "one", "-n", "tools", "owner=ampctl")
    assert k("get", "secrets", "-n", "tools", "-l", "owner=ampctl", "-o", "name").stdout.split() == ["secret/one"]
    table = k("get", "secrets", "-n", "tools", "-l", "owner!=ampctl").stdout
    assert "two" in table and "one" not in table and "Opaque" in table
    [pod] = emulator.store(CLUSTER).list("v1", "pods", "tools", "app=demo")
    name = pod["metadata"]["name"]
    for n in range(3):
        emulator.append_pod_log(CLUSTER, "tools", name, "app", f"hello {n}")
    assert k("logs", "-n", "tools", name, "-c", "app").stdout == "hello 0\nhello 1\nhello 2\n"
    assert k("logs", "-n", "tools", name, "-c", "app", "--tail=1").stdout == "hello 2\n"
    assert "Running" in k("get", "pods", "-n", "tools").stdout


class Answer(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps({"status": "success", "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_kubectl_raw_service_proxy(k: Run, emulator: KubeEmulator) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        k("create", "service", "clusterip", "kubecost-cost-analyzer", "-n", "tools", "--tcp=9003:9003")
        svc = emulator.store(CLUSTER).get("v1", "services", "tools", "kubecost-cost-analyzer")
        assert svc is not None
        emulator.register_service_backend(
            CLUSTER, "tools", "kubecost-cost-analyzer", 9003, f"http://127.0.0.1:{server.server_address[1]}"
        )
        out = k(
            "get",
            "--raw",
            "/api/v1/namespaces/tools/services/kubecost-cost-analyzer:9003/proxy/prometheusQuery?query=up",
        ).stdout
        assert json.loads(out) == {"status": "success", "path": "/prometheusQuery?query=up"}
    finally:
        server.shutdown()
        server.server_close()


def test_kubectl_delete_namespace(k: Run, emulator: KubeEmulator) -> None:
    k("create", "ns", "doomed")
    k("create", "configmap", "c", "-n", "doomed", "--from-literal=a=b")
    assert "deleted" in k("delete", "ns", "doomed", "--timeout=10s").stdout
    assert emulator.store(CLUSTER).list("v1", "configmaps", "doomed") == []


@pytest.fixture(scope="module", params=["helm3", "helm4"])
def helm(request: pytest.FixtureRequest, env: dict[str, str]) -> tuple[str, Run]:
    name = request.param
    return name, runner(request.getfixturevalue(name), env)


def _release_secrets(emulator: KubeEmulator, namespace: str, release: str) -> list[dict[str, Any]]:
    return emulator.store(CLUSTER).list("v1", "secrets", namespace, f"owner=helm,name={release}")


def test_helm_release_lifecycle(helm: tuple[str, Run], emulator: KubeEmulator) -> None:
    version, run = helm
    ns, rel = f"{version}-apps", "demo"
    install = ["upgrade", "--install", rel, str(CHART), "-n", ns, "--create-namespace", "--wait", "--timeout", "60s"]
    assert "STATUS: deployed" in run(*install).stdout
    store = emulator.store(CLUSTER)
    dep = store.get("apps/v1", "deployments", ns, f"{rel}-web")
    assert dep is not None and dep["status"]["readyReplicas"] == 1
    assert store.get("apps/v1", "statefulsets", ns, f"{rel}-db")["status"]["readyReplicas"] == 1  # type: ignore[index]
    assert store.get("v1", "persistentvolumeclaims", ns, f"{rel}-data")["status"]["phase"] == "Bound"  # type: ignore[index]
    posts = [
        r
        for r in emulator.recent_requests(CLUSTER)
        if r["method"] in ("POST", "PUT")
        and f"/namespaces/{ns}/secrets" in r["path"]
        and r["contentType"].startswith("application/vnd.kubernetes.protobuf")
    ]
    assert posts and all(r["status"] in (200, 201) for r in posts)

    [listed] = json.loads(run("list", "-n", ns, "-o", "json").stdout)
    assert (listed["name"], str(listed["revision"]), listed["status"]) == (rel, "1", "deployed")

    assert "REVISION: 2" in run(*install, "--set", "message=changed").stdout
    assert yaml.safe_load(run("get", "values", rel, "-n", ns, "-o", "yaml").stdout) == {"message": "changed"}
    cm = store.get("v1", "configmaps", ns, f"{rel}-config")
    assert cm is not None and cm["data"] == {"message": "changed"}
    sets = store.list("apps/v1", "replicasets", ns)
    assert sorted(rs["spec"]["replicas"] for rs in sets) == [0, 1]
    statuses = sorted(s["metadata"]["labels"]["status"] for s in _release_secrets(emulator, ns, rel))
    assert statuses == ["deployed", "superseded"]

    atomic = "--rollback-on-failure" if version == "helm4" else "--atomic"
    assert "REVISION: 3" in run(*install, "--set", "message=third", atomic).stdout
    assert str(json.loads(run("list", "-n", ns, "-o", "json").stdout)[0]["revision"]) == "3"

    assert "uninstalled" in run("uninstall", rel, "-n", ns, "--wait", "--timeout", "60s").stdout
    assert store.get("apps/v1", "deployments", ns, f"{rel}-web") is None
    assert store.list("v1", "pods", ns, "app.kubernetes.io/component=web") == []
    assert store.get("rbac.authorization.k8s.io/v1", "clusterroles", None, f"{ns}-{rel}-nodes") is None
    assert _release_secrets(emulator, ns, rel) == []
    assert json.loads(run("list", "-n", ns, "-o", "json").stdout) == []


def test_helm_wait_fails_when_pods_cannot_start(helm: tuple[str, Run], emulator: KubeEmulator) -> None:
    version, run = helm
    ns = f"{version}-pending"
    emulator.set_pvc_binding(CLUSTER, False)
    try:
        done = run(
            "upgrade",
            "--install",
            "stuck",
            str(CHART),
            "-n",
            ns,
            "--create-namespace",
            "--wait",
            "--timeout",
            "2s",
            check=False,
        )
    finally:
        emulator.set_pvc_binding(CLUSTER, True)
    assert done.returncode != 0
    pvc = emulator.store(CLUSTER).get("v1", "persistentvolumeclaims", ns, "stuck-data")
    assert pvc is not None and pvc["status"]["phase"] == "Bound"  # bound once binding resumed
