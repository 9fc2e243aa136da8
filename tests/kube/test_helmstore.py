"""A release read from helm's own storage is what helm reports, and another storage driver is read through helm."""

from __future__ import annotations

import json
import subprocess

import pytest

from ampctl.clients import ClusterClients
from ampctl.kube import helmstore
from ampctl.kube.client import Kube
from ampctl.target import resolve
from tests.conftest import TOOLS, Sandbox, ok

PRIMARY = "sandbox-primary"


def helm(sandbox: Sandbox, *args: str) -> dict:
    command = [str(TOOLS / "helm3"), "--kubeconfig", sandbox.state.kubeconfig, "--kube-context"]
    proc = subprocess.run([*command, sandbox.context(PRIMARY), *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_newest_revision_is_what_helm_status_and_list_say(sandbox: Sandbox) -> None:
    sandbox.reset()
    context = sandbox.context(PRIMARY)
    ok(sandbox.ampctl("bootstrap", "--yes", "--context", context))
    ok(sandbox.ampctl("bootstrap", "--yes", "--context", context, "--set", "kubecostToken=second"))
    stored = helmstore.newest(Kube(sandbox.state.kubeconfig, context), "kubecost", "kubecost")
    status = helm(sandbox, "status", "kubecost", "-n", "kubecost", "-o", "json")
    listed = helm(sandbox, "list", "-n", "kubecost", "--all", "-o", "json")[0]
    assert stored is not None and stored["version"] == status["version"] == int(listed["revision"]) == 2
    assert stored["info"]["status"] == status["info"]["status"] == listed["status"] == "deployed"
    assert stored["config"] == status["config"] and stored["config"]["kubecostToken"] == "second"
    assert listed["chart"] == f"cost-analyzer-{stored['chart']['metadata']['version']}"
    assert helmstore.newest(Kube(sandbox.state.kubeconfig, context), "absent", "kubecost") is None


def test_another_storage_driver_is_read_through_helm(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox.reset()
    context = sandbox.context(PRIMARY)
    monkeypatch.setenv("HELM_DRIVER", "configmap")  # for helm under ampctl, and for this process
    ok(sandbox.ampctl("bootstrap", "--yes", "--context", context))
    row = ok(sandbox.ampctl("status", "--context", context, "-o", "json"))["clusters"][0]
    assert row["release_status"] == "deployed", row
    target = resolve(context, kubeconfig=sandbox.state.kubeconfig)
    clients = ClusterClients(target, aws=None, helm_executable=str(TOOLS / "helm3"))  # type: ignore[arg-type]
    assert helmstore.newest(clients.kube, "kubecost", "kubecost") is None  # no Secret: helm kept it elsewhere
    found = clients.read_release("kubecost", "kubecost")
    assert found is not None and found.status == "deployed" and found.revision == 1


def test_an_unreadable_record_is_one_error_naming_its_secret(sandbox: Sandbox) -> None:
    import base64

    from ampctl.errors import AmpctlError

    sandbox.reset()
    core = sandbox.kube(PRIMARY)
    core.create_namespace({"metadata": {"name": "broken-helm"}})
    secret = {
        "metadata": {
            "name": "sh.helm.release.v1.broken.v1",
            "labels": {"owner": "helm", "name": "broken", "version": "1"},
        },
        "type": "helm.sh/release.v1",
        "data": {"release": base64.b64encode(b"not helm's encoding").decode()},
    }
    core.create_namespaced_secret("broken-helm", secret)
    with pytest.raises(AmpctlError, match=r"broken-helm/broken \(Secret sh\.helm\.release\.v1\.broken\.v1\)"):
        helmstore.newest(Kube(sandbox.state.kubeconfig, sandbox.context(PRIMARY)), "broken", "broken-helm")
