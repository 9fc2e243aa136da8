"""The fleet's shape on the sandbox: recorded by bootstrap, followed by add-cluster, checked by doctor and status."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TOOLS, Sandbox, ok

PRIMARY, EAST, WEST = "sandbox-primary", "sandbox-east", "sandbox-west"
MODE = "ampctl/mode"


def workspace(sandbox: Sandbox) -> dict:
    amp = sandbox.client("amp")
    found = [w for w in amp.list_workspaces()["workspaces"] if w.get("alias") == "kubecost-amp"]
    assert len(found) == 1, found
    return amp.describe_workspace(workspaceId=found[0]["workspaceId"])["workspace"]


def release_values(sandbox: Sandbox, cluster: str) -> dict:
    argv = [str(TOOLS / "helm3"), "--kubeconfig", sandbox.state.kubeconfig, "--kube-context", sandbox.context(cluster)]
    proc = subprocess.run([*argv, "get", "values", "kubecost", "-n", "kubecost", "-o", "json"], capture_output=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def fleet(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bootstrap --federated on the primary, then add-cluster on east with no --federated."""
    work = tmp_path_factory.mktemp("shape")
    sandbox.reset()
    ok(sandbox.ampctl("bootstrap", "--federated", "--yes", "--context", sandbox.context(PRIMARY), cwd=work))
    return work


def test_bootstrap_records_the_shape_and_add_cluster_follows_it(sandbox: Sandbox, fleet: Path) -> None:
    tags = workspace(sandbox)["tags"]
    bucket = f"kubecost-etl-{sandbox.state.account}-{sandbox.state.region}"
    assert tags[MODE] == "federated" and tags["ampctl/bucket"] == bucket
    assert tags["ampctl/chart-line"] == "2.x" and tags["ampctl/primary"] == PRIMARY
    assert tags["ampctl/namespace"] == tags["ampctl/release"] == "kubecost"
    result = ok(sandbox.ampctl("add-cluster", "--yes", "--context", sandbox.context(EAST), "-o", "json", cwd=fleet))
    assert [(c["cluster"], c["mode"], c["role"]) for c in result["clusters"]] == [(EAST, "federated", "agent")]
    iam = sandbox.client("iam")
    policy = f"arn:aws:iam::{sandbox.state.account}:policy/kubecost-s3-federated-policy-{EAST}"
    assert iam.get_policy(PolicyArn=policy)["Policy"]["PolicyName"].endswith(EAST)
    secret = sandbox.kube(EAST).read_namespaced_secret("kubecost-object-store", "kubecost")
    assert bucket in base64.b64decode(secret.data["federated-store.yaml"]).decode()
    values = release_values(sandbox, EAST)
    assert values["kubecostModel"]["federatedStorageConfigSecret"] == "kubecost-object-store"
    assert values["federatedETL"]["agentOnly"] is True


def test_a_contradicting_flag_is_refused_with_the_override(sandbox: Sandbox, fleet: Path) -> None:
    sandbox.clear_aws_calls()
    proc = sandbox.ampctl("add-cluster", "--no-federated", "--yes", "--context", sandbox.context(WEST), cwd=fleet)
    assert proc.returncode == 1, proc.stderr
    text = " ".join(proc.stderr.split())
    assert "is federated" in text and "--no-federated asks for quick-start" in text, text
    assert "--override-fleet-shape" in text and "Traceback" not in text
    assert sandbox.aws_mutations() == []
    primary = sandbox.ampctl("bootstrap", "--no-federated", "--dry-run", "--context", sandbox.context(PRIMARY))
    assert primary.returncode == 1 and "add --override-fleet-shape to bootstrap" in " ".join(primary.stderr.split())
    version = sandbox.ampctl("add-cluster", "--kubecost-version", "1.108.1", "--context", sandbox.context(WEST))
    assert version.returncode == 1 and "chart line 1.x" in " ".join(version.stderr.split())


def test_doctor_and_status_flag_a_cluster_installed_against_the_shape(sandbox: Sandbox, fleet: Path) -> None:
    args = ("add-cluster", "--no-federated", "--override-fleet-shape", "--yes", "--context", sandbox.context(WEST))
    result = ok(sandbox.ampctl(*args, "-o", "json", cwd=fleet))
    assert result["clusters"][0]["mode"] == "quick-start"
    assert workspace(sandbox)["tags"][MODE] == "federated"  # add-cluster never changes the record
    proc = sandbox.ampctl("doctor", "-o", "json", "--context", sandbox.context(WEST), cwd=fleet, timeout=240)
    assert proc.returncode == 2, proc.stderr
    report = json.loads(proc.stdout)["clusters"][0]
    check = next(c for c in report["checks"] if c["id"] == "fleet.shape")
    assert check["status"] == "fail" and "mode quick-start, the fleet is federated" in check["evidence"]
    assert check["fix"].startswith(f"`ampctl add-cluster --context {sandbox.context(WEST)} --yes`")
    assert (report["mode"], report["role"]) == ("quick-start", "agent")
    east = sandbox.ampctl("doctor", "-o", "json", "--context", sandbox.context(EAST), cwd=fleet, timeout=240)
    east_check = next(c for c in json.loads(east.stdout)["clusters"][0]["checks"] if c["id"] == "fleet.shape")
    assert east_check["status"] == "pass", east_check
    contexts = [a for c in (PRIMARY, EAST, WEST) for a in ("--context", sandbox.context(c))]
    status = ok(sandbox.ampctl("status", *contexts, "-o", "json", cwd=fleet))
    rows = {c["cluster"]: c for c in status["clusters"]}
    assert status["fleet"]["mode"] == "federated"
    assert [rows[c]["mode"] for c in (PRIMARY, EAST, WEST)] == ["federated", "federated", "quick-start"]
    assert rows[EAST]["differs"] == [] and rows[WEST]["differs"] == ["mode quick-start, the fleet is federated"]
    table = sandbox.ampctl("status", *contexts, cwd=fleet)
    west_line = next(line for line in table.stdout.splitlines() if WEST in line)
    assert "≠ fleet" in west_line and "quick-start" in west_line, table.stdout
    # Following the fleet again repairs it: add-cluster without flags reinstalls west federated.
    again = ok(sandbox.ampctl("add-cluster", "--yes", "--context", sandbox.context(WEST), "-o", "json", cwd=fleet))
    assert again["clusters"][0]["mode"] == "federated"


def test_a_workspace_without_a_record_is_inferred_then_recorded(sandbox: Sandbox, fleet: Path) -> None:
    amp = sandbox.client("amp")
    ws = workspace(sandbox)
    amp.untag_resource(resourceArn=ws["arn"], tagKeys=[k for k in ws["tags"] if k != "managed-by"])
    assert MODE not in workspace(sandbox)["tags"]
    plan = ok(sandbox.ampctl("add-cluster", "--dry-run", "--context", sandbox.context(EAST), "-o", "json", cwd=fleet))
    assert plan["clusters"][0]["mode"] == "federated"  # inferred from the bucket ampctl made
    ok(sandbox.ampctl("bootstrap", "--yes", "--context", sandbox.context(PRIMARY), cwd=fleet))
    assert workspace(sandbox)["tags"][MODE] == "federated"


def test_without_a_record_the_fleet_files_primary_release_is_read(sandbox: Sandbox, tmp_path: Path) -> None:
    """A custom bucket cannot be guessed from its name: the primary's release and Secret name it."""
    sandbox.reset()
    bucket = "custom-etl-bucket"
    args = ("bootstrap", "--federated", "--bucket", bucket, "--yes", "--context", sandbox.context(PRIMARY))
    ok(sandbox.ampctl(*args, cwd=tmp_path))
    amp = sandbox.client("amp")
    ws = workspace(sandbox)
    amp.untag_resource(resourceArn=ws["arn"], tagKeys=[k for k in ws["tags"] if k != "managed-by"])
    (tmp_path / "ampctl.yaml").write_text(
        f"apiVersion: ampctl/v1\nkind: Fleet\nname: demo\nregion: {sandbox.state.region}\n"
        f"primary:\n  context: {sandbox.context(PRIMARY)}\nclusters:\n  - context: {sandbox.context(EAST)}\n"
    )
    plan = ok(sandbox.ampctl("add-cluster", "--dry-run", "-o", "json", cwd=tmp_path))
    assert [(c["cluster"], c["mode"], c["bucket"]) for c in plan["clusters"]] == [(EAST, "federated", bucket)]
    alone = ok(sandbox.ampctl("add-cluster", "--dry-run", "-o", "json", "--context", sandbox.context(EAST)))
    assert alone["clusters"][0]["mode"] == "quick-start"  # nothing says otherwise without the fleet file
