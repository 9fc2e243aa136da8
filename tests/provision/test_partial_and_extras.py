"""Partial failures across clusters, the product-key Secret, S3 policy versions, extra values."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.conftest import Sandbox

PRIMARY, EAST, WEST = "sandbox-primary", "sandbox-east", "sandbox-west"


@pytest.fixture(scope="module")
def primary(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    sandbox.reset()
    work = tmp_path_factory.mktemp("more")
    key = work / "productkey"
    key.write_text('{"key": "sandbox-product-key"}')
    proc = sandbox.ampctl(
        "bootstrap", "--federated", "--yes", "--product-key-file", str(key), "--context", sandbox.context(PRIMARY),
        cwd=work,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return work


def test_product_key_secret_is_created_and_referenced(sandbox: Sandbox, primary: Path) -> None:
    core = sandbox.kube(PRIMARY)
    secret = core.read_namespaced_secret("kubecost-product-key", "kubecost")
    assert json.loads(base64.b64decode(secret.data["productkey.json"])) == {"key": "sandbox-product-key"}
    assert secret.metadata.labels["app.kubernetes.io/managed-by"] == "ampctl"
    import yaml

    text = (primary / ".ampctl" / PRIMARY / "04-cluster-values.yaml").read_text()
    assert yaml.safe_load(text)["kubecostProductConfigs"]["productKey"]["secretname"] == "kubecost-product-key"
    assert "sandbox-product-key" not in text


def test_one_cluster_failing_does_not_stop_the_others(sandbox: Sandbox, primary: Path) -> None:
    iam = sandbox.client("iam")
    east_issuer = sandbox.client("eks").describe_cluster(name=EAST)["cluster"]["identity"]["oidc"]["issuer"]
    arn = f"arn:aws:iam::{sandbox.state.account}:oidc-provider/{east_issuer.removeprefix('https://')}"
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    try:
        proc = sandbox.ampctl(
            "add-cluster", "--federated", "--yes", "-o", "json",
            "--context", sandbox.context(EAST), "--context", sandbox.context(WEST), cwd=primary,
        )  # fmt: skip
        assert proc.returncode == 1
        clusters = {c["cluster"]: c for c in json.loads(proc.stdout)["clusters"]}
        assert clusters[EAST]["ok"] is False and "no IAM OIDC provider" in clusters[EAST]["error"]
        assert clusters[WEST]["ok"] is True and clusters[WEST]["applied"] is True
        assert f"{EAST}: no IAM OIDC provider" in proc.stderr.replace("\n", " ")
        roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}
        assert f"kubecost-{WEST}-cost-analyzer" in roles
        assert f"kubecost-{EAST}-cost-analyzer" not in roles
    finally:
        iam.create_open_id_connect_provider(
            Url=east_issuer,
            ClientIDList=["sts.amazonaws.com"],
            ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
        )


def test_s3_policy_drift_makes_a_new_version_and_prunes_the_oldest(sandbox: Sandbox, primary: Path) -> None:
    iam = sandbox.client("iam")
    arn = f"arn:aws:iam::{sandbox.state.account}:policy/kubecost-s3-federated-policy-{PRIMARY}"
    loose = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(loose), SetAsDefault=True)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == 5
    oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])["VersionId"]
    sandbox.clear_aws_calls()
    proc = sandbox.ampctl("bootstrap", "--federated", "--yes", "--context", sandbox.context(PRIMARY), cwd=primary)
    assert proc.returncode == 0, proc.stderr
    assert sorted(c["action"] for c in sandbox.aws_mutations()) == ["CreatePolicyVersion", "DeletePolicyVersion"]
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == 5 and oldest not in {v["VersionId"] for v in versions}
    default = next(v for v in versions if v["IsDefaultVersion"])["VersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=default)["PolicyVersion"]["Document"]
    assert "s3:*" not in json.dumps(document)


def test_extra_values_and_set_are_applied_last(sandbox: Sandbox, primary: Path) -> None:
    extra = primary / "extra.yaml"
    extra.write_text("kubecostProductConfigs:\n  currencyCode: EUR\n")
    proc = sandbox.ampctl(
        "bootstrap", "--federated", "--yes", "-f", str(extra),
        "--set", "kubecostProductConfigs.clusterProfile=production",
        "--context", sandbox.context(PRIMARY), "-o", "json", cwd=primary,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    steps = json.loads(proc.stdout)["clusters"][0]["steps"]
    helm = next(s for s in steps if s["step"].startswith("helm release"))
    assert helm["action"] == "update" and "kubecostProductConfigs.currencyCode" in helm["detail"]
    import subprocess

    from tests.conftest import TOOLS

    values = subprocess.run(
        [str(TOOLS / "helm3"), "get", "values", "kubecost", "-n", "kubecost", "-o", "json",
         "--kube-context", sandbox.context(PRIMARY)],
        capture_output=True, text=True, env={**sandbox.env}, check=True,
    )  # fmt: skip
    got = json.loads(values.stdout)["kubecostProductConfigs"]
    assert got["currencyCode"] == "EUR" and got["clusterProfile"] == "production" and got["clusterName"] == PRIMARY
