"""A --kms-key fleet on the sandbox: one bootstrap and one add-cluster reach doctor green; render writes the same IAM
documents; the S3 policy ampctl wrote before (no KMS statement) and a key policy without the IAM delegation fail as on
AWS, and doctor names each; a re-run repairs the policy."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from ampctl.documents import parse_document, s3_access_policy
from tests.conftest import Sandbox, ok

PRIMARY, EAST = "sandbox-primary", "sandbox-east"
MAX_AGE = "5s"


def doctor(sandbox: Sandbox, work: Path, *args: str) -> dict[str, dict]:
    contexts = [a for c in (PRIMARY, EAST) for a in ("--context", sandbox.context(c))]
    proc = sandbox.ampctl("doctor", "-o", "json", "--max-sample-age", MAX_AGE, *contexts, *args, cwd=work, timeout=240)
    assert proc.returncode in (0, 2), proc.stderr
    return {c["cluster"]: {k["id"]: k for k in c["checks"]} for c in json.loads(proc.stdout)["clusters"]}


def policy_document(sandbox: Sandbox, cluster: str) -> dict:
    iam = sandbox.client("iam")
    arn = f"arn:aws:iam::{sandbox.state.account}:policy/kubecost-s3-federated-policy-{cluster}"
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return parse_document(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])


def cost_model_log(sandbox: Sandbox, cluster: str) -> str:
    core = sandbox.kube(cluster)
    pods = [p for p in core.list_namespaced_pod("kubecost").items if p.status.phase == "Running"]
    found = [p for p in pods if any(c.name == "cost-model" for c in p.spec.containers)]
    return "".join(core.read_namespaced_pod_log(p.metadata.name, "kubecost", container="cost-model") for p in found)


def wait_for_log(sandbox: Sandbox, cluster: str, text: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        log = cost_model_log(sandbox, cluster)
        if text in log:
            return log
        time.sleep(1)
    raise AssertionError(f"{text!r} not in the cost-model log of {cluster}")


@pytest.fixture(scope="module")
def fleet(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """bootstrap --federated --kms-key on the primary, then add-cluster (which follows the bucket's key)."""
    sandbox.reset()
    work = tmp_path_factory.mktemp("kms-fleet")
    key = sandbox.client("kms").create_key(Description="Kubecost ETL")["KeyMetadata"]["Arn"]  # the default policy
    boot = ("bootstrap", "--federated", "--kms-key", key, "--yes", "--context", sandbox.context(PRIMARY))
    ok(sandbox.ampctl(*boot, cwd=work))
    ok(sandbox.ampctl("add-cluster", "--yes", "--context", sandbox.context(EAST), cwd=work))
    return work, key


def test_a_kms_fleet_reaches_doctor_green(sandbox: Sandbox, fleet: tuple[Path, str]) -> None:
    work, key = fleet
    bucket = f"kubecost-etl-{sandbox.state.account}-{sandbox.state.region}"
    for cluster in (PRIMARY, EAST):  # add-cluster took the key from the bucket's default encryption
        assert policy_document(sandbox, cluster) == s3_access_policy(bucket, region=sandbox.state.region, kms_key=key)
    checks = doctor(sandbox, work, "--wait", "90s")
    for cluster, found in checks.items():
        assert [c for c in found.values() if c["status"] in ("fail", "warn")] == [], cluster
        assert "through its IAM policy" in found["federated.kms-key"]["evidence"]
    s3 = sandbox.client("s3")
    etl = s3.list_objects_v2(Bucket=bucket, Prefix=f"federated/{EAST}/")["Contents"][0]["Key"]
    head = s3.head_object(Bucket=bucket, Key=etl)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key


def test_render_kms_key_writes_the_documents_bootstrap_made(
    sandbox: Sandbox, fleet: tuple[Path, str], tmp_path: Path
) -> None:
    _, key = fleet
    iam = sandbox.client("iam")
    workspace = sandbox.client("amp").list_workspaces(alias="kubecost-amp")["workspaces"][0]["workspaceId"]
    issuer = sandbox.client("eks").describe_cluster(name=EAST)["cluster"]["identity"]["oidc"]["issuer"]
    out = tmp_path / "out"
    proc = sandbox.ampctl(
        "render", "--out-dir", str(out), "--agent", "--federated", "--kms-key", key, "--cluster", EAST,
        "--region", sandbox.state.region, "--account", sandbox.state.account, "--oidc-issuer", issuer,
        "--workspace-id", workspace,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rendered = json.loads((out / "iam" / f"kubecost-s3-federated-policy-{EAST}.json").read_text())
    assert rendered == policy_document(sandbox, EAST)
    for component in ("cost-analyzer", "prometheus-server"):
        role = f"kubecost-{EAST}-{component}"
        trust = json.loads((out / "iam" / f"{role}-trust.json").read_text())
        assert trust == parse_document(iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"])


def test_the_policy_without_the_key_fails_like_aws_and_doctor_names_it(
    sandbox: Sandbox, fleet: tuple[Path, str]
) -> None:
    work, key = fleet
    bucket = f"kubecost-etl-{sandbox.state.account}-{sandbox.state.region}"
    arn = f"arn:aws:iam::{sandbox.state.account}:policy/kubecost-s3-federated-policy-{EAST}"
    old = json.dumps(s3_access_policy(bucket))  # what ampctl wrote before --kms-key was granted
    sandbox.client("iam").create_policy_version(PolicyArn=arn, PolicyDocument=old, SetAsDefault=True)
    try:
        log = wait_for_log(sandbox, EAST, "kms:GenerateDataKey")
        assert f"on resource: {key} because no identity-based policy allows the kms:GenerateDataKey action" in log
        check = doctor(sandbox, work)[EAST]["federated.kms-key"]
        assert check["status"] == "fail"
        assert f"is encrypted with KMS key {key}, but role kubecost-{EAST}-cost-analyzer has no" in check["evidence"]
        assert "adds them to policy" in check["fix"]
    finally:
        ok(sandbox.ampctl("add-cluster", "--yes", "--context", sandbox.context(EAST), cwd=work))
    assert policy_document(sandbox, EAST) == s3_access_policy(bucket, region=sandbox.state.region, kms_key=key)


def test_a_key_policy_without_the_iam_delegation_fails_and_doctor_names_it(
    sandbox: Sandbox, fleet: tuple[Path, str]
) -> None:
    work, key = fleet
    kms = sandbox.client("kms")
    default = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    admin = f"arn:aws:iam::{sandbox.state.account}:role/key-admin"
    statement = {"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": admin}, "Action": "kms:*", "Resource": "*"}
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps({"Statement": [statement]}))
    try:
        log = wait_for_log(sandbox, PRIMARY, "no resource-based policies allow access")
        assert "kms:GenerateDataKey on this resource" in log
        check = doctor(sandbox, work)[PRIMARY]["federated.kms-key"]
        assert check["status"] == "fail"
        assert f"the key policy of {key} lets neither kubecost-{PRIMARY}-cost-analyzer nor IAM" in check["evidence"]
        assert "Enable IAM User Permissions" in check["fix"]
    finally:
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=default)


def test_bootstrap_refuses_another_key_for_the_fleets_bucket(sandbox: Sandbox, fleet: tuple[Path, str]) -> None:
    work, _ = fleet
    other = sandbox.client("kms").create_key()["KeyMetadata"]["Arn"]
    sandbox.clear_aws_calls()
    args = ("bootstrap", "--federated", "--kms-key", other, "--yes", "--context", sandbox.context(PRIMARY))
    proc = sandbox.ampctl(*args, cwd=work)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"--kms-key asks for {other}, and bucket" in proc.stderr and "--override-fleet-shape" in proc.stderr
    assert sandbox.aws_mutations() == []
    # Without --kms-key, a re-run follows the key the bucket names: nothing to change, the key stays granted.
    rerun = sandbox.ampctl("bootstrap", "--federated", "--yes", "--context", sandbox.context(PRIMARY), cwd=work)
    assert rerun.returncode == 0 and "nothing to change" in rerun.stderr, rerun.stderr
    assert sandbox.aws_mutations() == []


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("alias/etl", "must be a KMS key ARN"),
        ("arn:aws:kms:us-east-2:111122223333:alias/etl", "must be a KMS key ARN"),
        ("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "the bucket in us-east-2"),
    ],
)
def test_bad_kms_keys_are_refused_before_any_call(key: str, says: str, tmp_path: Path) -> None:
    import subprocess

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    command = [
        sys.executable, "-m", "ampctl", "render", "--out-dir", str(tmp_path / "out"), "--federated", "--kms-key", key,
        "--cluster", "prod", "--region", "us-east-2", "--account", "111122223333", "--workspace-id", "ws-1",
        "--oidc-issuer", "https://oidc.eks.us-east-2.amazonaws.com/id/EXAMPLE",
    ]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1 and says in proc.stderr and "Traceback" not in proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.startswith("error:")] == [
        next(line for line in proc.stderr.splitlines() if says in line)
    ]
    assert not (tmp_path / "out").exists()
