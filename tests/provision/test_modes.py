"""Quick-start, the 1.x chart line, workspace waiting, add-cluster without a primary, render."""

from __future__ import annotations

import json
import stat
import threading
import time
import urllib.request
from pathlib import Path

import yaml

from tests.conftest import Sandbox

PRIMARY, EAST = "sandbox-primary", "sandbox-east"


def _set_status(sandbox: Sandbox, workspace_id: str, code: str) -> None:
    req = urllib.request.Request(
        f"{sandbox.state.aws_endpoint}/_sandbox/workspaces/{workspace_id}/status",
        data=json.dumps({"statusCode": code}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(req, timeout=10).read()


def test_quick_start_has_no_bucket_or_secret(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    proc = sandbox.ampctl("bootstrap", "--yes", "-o", "json", "--context", sandbox.context(PRIMARY), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)["clusters"][0]
    assert "bucket" not in summary
    assert sandbox.client("s3").list_buckets()["Buckets"] == []
    assert not [p for p in sandbox.client("iam").list_policies(Scope="Local")["Policies"]]
    secrets = sandbox.kube(PRIMARY).list_namespaced_secret("kubecost").items
    assert [s.metadata.name for s in secrets if not s.metadata.name.startswith("sh.helm.release")] == []
    add = sandbox.ampctl("add-cluster", "--yes", "--context", sandbox.context(EAST), cwd=tmp_path)
    assert add.returncode == 0, add.stderr
    values = yaml.safe_load((tmp_path / ".ampctl" / EAST / "03-cluster-values.yaml").read_text())
    assert values["prometheus"]["server"]["global"]["external_labels"]["cluster_id"] == EAST
    assert "federatedStorageConfigSecret" not in json.dumps(values)


def test_chart_line_1x_installs_with_its_overlays(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    args = ("--federated", "--yes", "--kubecost-version", "1.108.1", "-o", "json")
    boot = sandbox.ampctl("bootstrap", *args, "--context", sandbox.context(PRIMARY), cwd=tmp_path)
    assert boot.returncode == 0, boot.stderr
    add = sandbox.ampctl("add-cluster", *args, "--context", sandbox.context(EAST), cwd=tmp_path)
    assert add.returncode == 0, add.stderr
    from kubernetes import client as k8s

    primary = k8s.AppsV1Api(sandbox.kube(PRIMARY).api_client)
    agent = k8s.AppsV1Api(sandbox.kube(EAST).api_client)
    assert "kubecost-federator" in {d.metadata.name for d in primary.list_namespaced_deployment("kubecost").items}
    assert "kubecost-federator" not in {d.metadata.name for d in agent.list_namespaced_deployment("kubecost").items}
    overlay = yaml.safe_load((tmp_path / ".ampctl" / PRIMARY / "03-federation-primary.yaml").read_text())
    assert overlay["federatedETL"]["federator"]["enabled"] is True
    assert overlay["federatedETL"]["primaryCluster"] is True
    assert overlay["federatedETL"]["federator"]["primaryClusterID"] == PRIMARY


def test_bootstrap_waits_for_a_creating_workspace(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    amp = sandbox.client("amp")
    ws = amp.create_workspace(alias="slow-workspace")["workspaceId"]
    _set_status(sandbox, ws, "CREATING")
    timer = threading.Timer(3.0, _set_status, (sandbox, ws, "ACTIVE"))
    timer.start()
    started = time.monotonic()
    proc = sandbox.ampctl(
        "bootstrap", "--yes", "--alias", "slow-workspace", "--context", sandbox.context(PRIMARY), cwd=tmp_path
    )
    timer.join()
    assert proc.returncode == 0, proc.stderr
    assert f"waiting for AMP workspace {ws}: CREATING" in proc.stderr.replace("\n", " ")
    assert time.monotonic() - started >= 3.0
    assert len(amp.list_workspaces(alias="slow-workspace")["workspaces"]) == 1


def test_creation_failed_workspace_is_an_error(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    ws = sandbox.client("amp").create_workspace(alias="broken")["workspaceId"]
    _set_status(sandbox, ws, "CREATION_FAILED")
    proc = sandbox.ampctl(
        "bootstrap", "--yes", "--alias", "broken", "--context", sandbox.context(PRIMARY), cwd=tmp_path
    )
    assert proc.returncode == 1
    assert f"AMP workspace {ws} is CREATION_FAILED" in proc.stderr


def test_two_workspaces_with_one_alias_is_an_error_naming_both(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    amp = sandbox.client("amp")
    ids = sorted(amp.create_workspace(alias="twice")["workspaceId"] for _ in range(2))
    proc = sandbox.ampctl("bootstrap", "--yes", "--alias", "twice", "--context", sandbox.context(PRIMARY), cwd=tmp_path)
    assert proc.returncode == 1
    assert f"{ids[0]}, {ids[1]}" in proc.stderr


def test_add_cluster_without_primary_fails_clearly(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    sandbox.clear_aws_calls()
    proc = sandbox.ampctl("add-cluster", "--federated", "--yes", "--context", sandbox.context(EAST), cwd=tmp_path)
    assert proc.returncode == 1
    assert "no AMP workspace with alias 'kubecost-amp'" in proc.stderr
    assert "ampctl bootstrap" in proc.stderr
    assert sandbox.aws_mutations() == []


def test_missing_oidc_provider_stops_with_the_fix_or_is_created(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    iam = sandbox.client("iam")
    for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])
    proc = sandbox.ampctl("bootstrap", "--yes", "--context", sandbox.context(PRIMARY), cwd=tmp_path)
    assert proc.returncode == 1
    assert "no IAM OIDC provider" in proc.stderr and "--create-oidc-provider" in proc.stderr
    assert sandbox.client("amp").list_workspaces()["workspaces"] == []
    proc = sandbox.ampctl(
        "bootstrap", "--yes", "--create-oidc-provider", "--context", sandbox.context(PRIMARY), cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert len(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]) == 1


def test_render_offline_writes_files_in_helm_order(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KUBECONFIG"))}
    env["AWS_ACCESS_KEY_ID"] = "unused"
    env["AWS_SECRET_ACCESS_KEY"] = "unused"
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # any AWS call would fail
    proc = subprocess.run(
        [
            sys.executable, "-m", "ampctl", "render", "--out-dir", str(out), "--federated", "-o", "json",
            "--cluster", "prod-1", "--region", "eu-west-1", "--account", "111122223333",
            "--oidc-issuer", "https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789",
            "--workspace-id", "ws-12345678-abcd-ef01-2345-6789abcdef01", "-f", str(tmp_path / "mine.yaml"),
        ],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    names = [Path(p).name for p in result["values_files"]]
    assert names == [
        "01-eks-overlay.yaml", "02-config-values.yaml", "03-federation-primary.yaml", "04-cluster-values.yaml",
        "mine.yaml",
    ]  # fmt: skip
    secret = out / "object-store-secret.yaml"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    script = (out / "helm-command.sh").read_text()
    assert "helm upgrade --install kubecost" in script.replace("\\\n", " ").replace("  ", " ")
    trust = json.loads((out / "iam" / "kubecost-prod-1-cost-analyzer-trust.json").read_text())
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    issuer = "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"
    assert condition == {
        f"{issuer}:sub": "system:serviceaccount:kubecost:kubecost-cost-analyzer-amp",
        f"{issuer}:aud": "sts.amazonaws.com",
    }


def test_bootstrap_after_the_workspace_was_deleted_creates_a_new_one(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    args = ("bootstrap", "--yes", "-o", "json", "--no-recording-rules", "--context", sandbox.context(PRIMARY))
    first = sandbox.ampctl(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    old = json.loads(first.stdout)["clusters"][0]["workspace"]["id"]
    amp = sandbox.client("amp")
    amp.delete_workspace(workspaceId=old)
    second = sandbox.ampctl(*args, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    new = json.loads(second.stdout)["clusters"][0]["workspace"]["id"]
    assert new != old
    assert [w["workspaceId"] for w in amp.list_workspaces(alias="kubecost-amp")["workspaces"]] == [new]


def test_interactive_run_asks_and_a_no_changes_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import TOOLS

    sandbox.reset()
    sandbox.clear_aws_calls()
    main, replica = os.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | sandbox.env
    env["AMPCTL_HELM"] = str(TOOLS / "helm3")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ampctl", "bootstrap", "--context", sandbox.context(PRIMARY)],
        stdin=replica, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    os.write(main, b"n\n")
    _, err = proc.communicate(timeout=120)
    os.close(main)
    os.close(replica)
    assert proc.returncode == 1
    assert "Apply" in err and "cancelled: nothing was changed" in err
    assert sandbox.aws_mutations() == []


def test_verbose_names_each_aws_call_and_helm_command(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    proc = sandbox.ampctl("-v", "bootstrap", "--yes", "--context", sandbox.context(PRIMARY), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert "aws sts GetCallerIdentity" in lines and "aws amp ListWorkspaces" in lines
    assert any(line.startswith("running command: ") and " upgrade " in line for line in lines)
    quiet = sandbox.ampctl("bootstrap", "--dry-run", "--context", sandbox.context(PRIMARY), cwd=tmp_path)
    assert "aws sts GetCallerIdentity" not in quiet.stderr
