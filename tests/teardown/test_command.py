"""`ampctl teardown` on the sandbox: one cluster, then the whole fleet, leaving unmanaged things alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Sandbox, ok
from tests.fleet.fleetfile import EAST, PRIMARY, WEST, bring_up

MANAGED = "app.kubernetes.io/managed-by=ampctl"


@pytest.fixture(scope="module")
def fleet_file(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bring_up(sandbox, tmp_path_factory.mktemp("teardown"))


def managed_roles(sandbox: Sandbox) -> set[str]:
    iam = sandbox.client("iam")
    names = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    return {n for n in names if {"Key": "managed-by", "Value": "ampctl"} in iam.list_role_tags(RoleName=n)["Tags"]}


def kube_objects(sandbox: Sandbox, cluster: str) -> list[str]:
    core = sandbox.kube(cluster)
    found = [f"namespace/{n.metadata.name}" for n in core.list_namespace(label_selector=MANAGED).items]
    found += [
        f"sa/{s.metadata.name}" for s in core.list_service_account_for_all_namespaces(label_selector=MANAGED).items
    ]
    found += [f"secret/{s.metadata.name}" for s in core.list_secret_for_all_namespaces(label_selector=MANAGED).items]
    return found


def doctor_failures(sandbox: Sandbox) -> set[tuple[str, str]]:
    """(cluster, check id) of doctor's failing checks on the primary and west."""
    proc = sandbox.ampctl(
        "doctor", "--context", sandbox.context(PRIMARY), "--context", sandbox.context(WEST), "--wait", "30s",
        "-o", "json",
    )  # fmt: skip
    assert proc.returncode in (0, 2), proc.stderr
    found = set()
    for report in json.loads(proc.stdout)["clusters"]:
        found |= {(report["cluster"], c["id"]) for c in report["checks"] if c["status"] == "fail"}
    return found


def test_one_cluster_goes_and_the_others_stay_healthy(sandbox: Sandbox, fleet_file: Path) -> None:
    before = doctor_failures(sandbox)
    proc = ok(sandbox.ampctl("teardown", "--context", sandbox.context(EAST), "--yes", "-o", "json"))
    assert [c["cluster"] for c in proc["clusters"]] == [EAST]
    assert not any(r.startswith(f"kubecost-{EAST}-") for r in managed_roles(sandbox))
    assert kube_objects(sandbox, EAST) == []
    assert sum(r.startswith((f"kubecost-{PRIMARY}-", f"kubecost-{WEST}-")) for r in managed_roles(sandbox)) == 4
    assert len(kube_objects(sandbox, WEST)) >= 4
    after = doctor_failures(sandbox)
    assert before == set()
    assert after == set()


def test_full_teardown_leaves_nothing_of_ampctl_but_spares_unmanaged(sandbox: Sandbox, fleet_file: Path) -> None:
    iam, s3 = sandbox.client("iam"), sandbox.client("s3")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}  # fmt: skip
    unmanaged = f"kubecost-{EAST}-cost-analyzer"
    iam.create_role(RoleName=unmanaged, AssumeRolePolicyDocument=json.dumps(trust))
    bucket = f"kubecost-etl-{sandbox.state.account}-{sandbox.state.region}"
    # moto does not evaluate the TLS-only policy's aws:SecureTransport condition: its Deny refuses every write.
    s3.delete_bucket_policy(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="federated/x/keep", Body=b"x")
    sandbox.clear_aws_calls()
    refused = sandbox.ampctl("teardown", "-F", str(fleet_file), "--delete-bucket", "--yes")
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert sandbox.aws_mutations() == []

    done = sandbox.ampctl(
        "teardown", "-F", str(fleet_file), "--delete-workspace", "--delete-bucket", "--force", "--yes"
    )
    assert done.returncode == 0, done.stderr
    assert f"IAM role {unmanaged} exists but ampctl did not create it: left alone" in " ".join(done.stderr.split())
    assert managed_roles(sandbox) == set()
    assert iam.get_role(RoleName=unmanaged)["Role"]["RoleName"] == unmanaged
    policies = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]
    assert not [p for p in policies if p.startswith("kubecost-s3-federated-policy-")]
    live = [w for w in sandbox.client("amp").list_workspaces()["workspaces"] if w["status"]["statusCode"] != "DELETING"]
    assert live == []
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    for cluster in (PRIMARY, EAST, WEST):
        assert kube_objects(sandbox, cluster) == [], cluster

    sandbox.clear_aws_calls()
    again = sandbox.ampctl(
        "teardown", "-F", str(fleet_file), "--delete-workspace", "--delete-bucket", "--force", "--yes"
    )
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stderr
    assert sandbox.aws_mutations() == []
