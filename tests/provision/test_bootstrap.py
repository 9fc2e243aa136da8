"""bootstrap / add-cluster on the sandbox: what they create, idempotence, drift repair, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Sandbox, ok

PRIMARY, EAST, WEST = "sandbox-primary", "sandbox-east", "sandbox-west"
QUERY = "arn:aws:iam::aws:policy/AmazonPrometheusQueryAccess"
WRITE = "arn:aws:iam::aws:policy/AmazonPrometheusRemoteWriteAccess"


@pytest.fixture(scope="module")
def fleet(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A federated fleet on the three sandbox clusters, built once for this module."""
    sandbox.reset()
    work = tmp_path_factory.mktemp("fleet")
    boot = ok(
        sandbox.ampctl(
            "bootstrap", "--federated", "--yes", "--context", sandbox.context(PRIMARY), "-o", "json", cwd=work
        )
    )
    add = ok(
        sandbox.ampctl(
            "add-cluster", "--federated", "--yes", "-o", "json",
            "--context", sandbox.context(EAST), "--context", sandbox.context(WEST), cwd=work,
        )
    )  # fmt: skip
    return {"bootstrap": boot, "add": add, "work": work}


def test_bootstrap_creates_workspace_bucket_and_roles(sandbox: Sandbox, fleet: dict) -> None:
    amp = sandbox.client("amp")
    workspaces = amp.list_workspaces(alias="kubecost-amp")["workspaces"]
    assert len(workspaces) == 1
    ws = workspaces[0]
    assert ws["tags"]["managed-by"] == "ampctl"
    summary = fleet["bootstrap"]["clusters"][0]
    assert summary["workspace"]["id"] == ws["workspaceId"]
    assert summary["workspace"]["remote_write_url"].endswith(f"/workspaces/{ws['workspaceId']}/api/v1/remote_write")
    rules = amp.describe_rule_groups_namespace(workspaceId=ws["workspaceId"], name="kubecost-recording-rules")
    assert b"container!=" in rules["ruleGroupsNamespace"]["data"]

    s3 = sandbox.client("s3")
    bucket = summary["bucket"]
    assert bucket == f"kubecost-etl-{sandbox.state.account}-{sandbox.state.region}"
    pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(pab.values()) and len(pab) == 4
    enc = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    own = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert own == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert any(
        st["Effect"] == "Deny" and st["Condition"]["Bool"]["aws:SecureTransport"] == "false"
        for st in policy["Statement"]
    )
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}["managed-by"] == "ampctl"


def _trust(iam, role: str) -> dict:  # noqa: ANN001
    return iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]


@pytest.mark.parametrize("cluster", [PRIMARY, EAST, WEST])
def test_roles_trust_and_attachments(sandbox: Sandbox, fleet: dict, cluster: str) -> None:
    iam = sandbox.client("iam")
    eks = sandbox.client("eks")
    issuer = eks.describe_cluster(name=cluster)["cluster"]["identity"]["oidc"]["issuer"].removeprefix("https://")
    account = sandbox.state.account
    s3_policy = f"arn:aws:iam::{account}:policy/kubecost-s3-federated-policy-{cluster}"
    expected = {
        f"kubecost-{cluster}-cost-analyzer": ("kubecost-cost-analyzer-amp", {QUERY, s3_policy}),
        f"kubecost-{cluster}-prometheus-server": ("kubecost-prometheus-server-amp", {WRITE}),
    }
    for role, (sa, policies) in expected.items():
        trust = _trust(iam, role)
        statement = trust["Statement"][0]
        assert statement["Principal"]["Federated"] == f"arn:aws:iam::{account}:oidc-provider/{issuer}"
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Condition"]["StringEquals"] == {
            f"{issuer}:sub": f"system:serviceaccount:kubecost:{sa}",
            f"{issuer}:aud": "sts.amazonaws.com",
        }
        attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
        assert attached == policies
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role)["Tags"]}
        assert tags["managed-by"] == "ampctl" and tags["ampctl/cluster"] == cluster
        core = sandbox.kube(cluster)
        account_obj = core.read_namespaced_service_account(sa, "kubecost")
        assert account_obj.metadata.annotations["eks.amazonaws.com/role-arn"] == f"arn:aws:iam::{account}:role/{role}"
        assert account_obj.metadata.labels["app.kubernetes.io/managed-by"] == "ampctl"
    document = iam.get_policy_version(PolicyArn=s3_policy, VersionId="v1")["PolicyVersion"]["Document"]
    resources = {
        r
        for st in document["Statement"]
        for r in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])
    }
    bucket = fleet["bootstrap"]["clusters"][0]["bucket"]
    assert resources == {f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"}


@pytest.mark.parametrize("cluster", [PRIMARY, EAST, WEST])
def test_release_rendered_with_the_right_settings(sandbox: Sandbox, fleet: dict, cluster: str) -> None:
    import base64

    import yaml
    from kubernetes import client as k8s

    core = sandbox.kube(cluster)
    ws = fleet["bootstrap"]["clusters"][0]["workspace"]["id"]
    region = sandbox.state.region
    secret = core.read_namespaced_secret("kubecost-object-store", "kubecost")
    store = yaml.safe_load(base64.b64decode(secret.data["federated-store.yaml"]))
    assert store["config"]["bucket"] == fleet["bootstrap"]["clusters"][0]["bucket"]
    assert store["config"]["region"] == region
    cm = core.read_namespaced_config_map("kubecost-cost-analyzer", "kubecost")
    assert cm.data["prometheus-server-endpoint"] == f"http://localhost:8005/workspaces/{ws}"
    prom = yaml.safe_load(
        core.read_namespaced_config_map("kubecost-prometheus-server", "kubecost").data["prometheus.yml"]
    )
    assert prom["global"]["external_labels"]["cluster_id"] == cluster
    assert (
        prom["remote_write"][0]["url"]
        == f"https://aps-workspaces.{region}.amazonaws.com/workspaces/{ws}/api/v1/remote_write"
    )
    assert prom["remote_write"][0]["sigv4"]["region"] == region
    apps = k8s.AppsV1Api(core.api_client)
    deploy = apps.read_namespaced_deployment("kubecost-cost-analyzer", "kubecost")
    assert deploy.spec.template.spec.service_account_name == "kubecost-cost-analyzer-amp"
    proxy = next(c for c in deploy.spec.template.spec.containers if c.name == "sigv4proxy")
    assert proxy.args == [
        "--name",
        "aps",
        "--region",
        region,
        "--host",
        f"aps-workspaces.{region}.amazonaws.com",
        "--port",
        ":8005",
    ]
    prom_deploy = apps.read_namespaced_deployment("kubecost-prometheus-server", "kubecost")
    assert prom_deploy.spec.template.spec.service_account_name == "kubecost-prometheus-server-amp"
    containers = {c.name for c in deploy.spec.template.spec.containers}
    aggregator = [s.metadata.name for s in apps.list_namespaced_stateful_set("kubecost").items]
    if cluster == PRIMARY:
        assert "cost-analyzer-frontend" in containers and aggregator == ["kubecost-aggregator"]
    else:
        assert "cost-analyzer-frontend" not in containers and aggregator == []


def test_rerun_changes_nothing(sandbox: Sandbox, fleet: dict) -> None:
    before = sandbox.kube_mutations()
    sandbox.clear_aws_calls()
    boot = ok(
        sandbox.ampctl(
            "bootstrap", "--federated", "--yes", "--context", sandbox.context(PRIMARY), "-o", "json", cwd=fleet["work"]
        )
    )
    add = ok(
        sandbox.ampctl(
            "add-cluster", "--federated", "--yes", "-o", "json",
            "--context", sandbox.context(EAST), "--context", sandbox.context(WEST), cwd=fleet["work"],
        )
    )  # fmt: skip
    for item in boot["clusters"] + add["clusters"]:
        assert {s["action"] for s in item["steps"]} == {"unchanged"}, item["steps"]
    assert sandbox.aws_mutations() == []
    assert sandbox.kube_mutations() == before


def test_drift_is_repaired_exactly(sandbox: Sandbox, fleet: dict) -> None:
    iam = sandbox.client("iam")
    role = f"kubecost-{EAST}-cost-analyzer"
    iam.detach_role_policy(RoleName=role, PolicyArn=QUERY)
    prom_role = f"kubecost-{EAST}-prometheus-server"
    trust = _trust(iam, prom_role)
    issuer = next(iter(trust["Statement"][0]["Condition"]["StringEquals"])).split(":")[0]
    trust["Statement"][0]["Condition"]["StringEquals"][f"{issuer}:sub"] = "system:serviceaccount:kubecost:other"
    iam.update_assume_role_policy(RoleName=prom_role, PolicyDocument=json.dumps(trust))
    core = sandbox.kube(EAST)
    core.patch_namespaced_service_account(
        "kubecost-cost-analyzer-amp", "kubecost", {"metadata": {"annotations": {"eks.amazonaws.com/role-arn": None}}}
    )
    core.delete_namespaced_secret("kubecost-object-store", "kubecost")
    sandbox.clear_aws_calls()
    add = ok(
        sandbox.ampctl(
            "add-cluster", "--federated", "--yes", "-o", "json", "--context", sandbox.context(EAST), cwd=fleet["work"]
        )
    )
    changed = {s["step"]: s["action"] for s in add["clusters"][0]["steps"] if s["action"] != "unchanged"}
    assert changed == {
        f"IAM role {role} for serviceaccount kubecost/kubecost-cost-analyzer-amp": "update",
        f"IAM role {prom_role} for serviceaccount kubecost/kubecost-prometheus-server-amp": "update",
        "serviceaccount kubecost/kubecost-cost-analyzer-amp annotated with its IAM role": "update",
        "secret kubecost/kubecost-object-store (federated-store.yaml)": "create",
    }
    actions = sorted(c["action"] for c in sandbox.aws_mutations())
    assert actions == ["AttachRolePolicy", "UpdateAssumeRolePolicy"]
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
    assert QUERY in attached
    assert core.read_namespaced_secret("kubecost-object-store", "kubecost").data["federated-store.yaml"]


def test_dry_run_changes_nothing(sandbox: Sandbox, fleet: dict, tmp_path: Path) -> None:
    before = sandbox.kube_mutations()
    sandbox.clear_aws_calls()
    proc = sandbox.ampctl(
        "bootstrap",
        "--federated",
        "--dry-run",
        "--alias",
        "another-workspace",
        "--context",
        sandbox.context(PRIMARY),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "create" in proc.stderr and "dry run" in proc.stderr
    assert proc.stdout.startswith(f"✓ {PRIMARY}: ") and "change(s) planned" in proc.stdout
    assert sandbox.aws_mutations() == []
    assert sandbox.kube_mutations() == before
    assert len(sandbox.client("amp").list_workspaces(alias="another-workspace")["workspaces"]) == 0


def test_non_interactive_without_yes_refuses(sandbox: Sandbox, fleet: dict, tmp_path: Path) -> None:
    sandbox.clear_aws_calls()
    proc = sandbox.ampctl(
        "bootstrap", "--alias", "third-workspace", "--context", sandbox.context(PRIMARY), cwd=tmp_path
    )
    assert proc.returncode == 1
    assert "pass --yes" in proc.stderr
    assert sandbox.aws_mutations() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kubecost-version", "2.8.8"], "never released"),
        (["--kubecost-version", "3.2.2"], "never released"),
        (["--kubecost-version", "3.0.1"], "finopsagent"),
        (["--kubecost-version", "2.9.0"], "cannot run on AMP"),
        (["--kubecost-version", "2.9.1"], "cannot run on AMP"),
        (["--no-helm", "--kubecost-version", "3.2.1"], "not available for Kubecost 3.x"),
        (["--storage-class", "gp3", "--kubecost-version", "3.2.1"], "not available for Kubecost 3.x"),
        (["--kubecost-version", "1.97.0"], "no federated ETL"),
        (["--kubecost-version", "1.96.0"], "1.97.0"),
        (["--bucket", "Bad_Bucket"], "bucket"),
        (["--alias", ""], "alias"),
        (["--namespace", "Kube_Cost"], "namespace"),
        (["--context", "not-a-context"], "context 'not-a-context' is not in the kubeconfig"),
    ],
)
def test_bad_input_is_refused_before_any_change(
    sandbox: Sandbox, tmp_path: Path, args: list[str], message: str
) -> None:
    sandbox.clear_aws_calls()
    proc = sandbox.ampctl("bootstrap", "--federated", "--yes", *args, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert message in proc.stderr.lower() or message in proc.stderr
    assert sandbox.aws_mutations() == []


def test_invalid_cluster_name_from_a_plain_context_is_refused(sandbox: Sandbox, tmp_path: Path) -> None:
    import yaml

    config = yaml.safe_load(Path(sandbox.state.kubeconfig).read_text())
    config["contexts"].append({"name": "plain", "context": dict(config["contexts"][0]["context"])})
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    sandbox.clear_aws_calls()
    args = ("bootstrap", "--yes", "--kubeconfig", str(kubeconfig), "--context", "plain", "--region", "us-east-2")
    proc = sandbox.ampctl(*args, "--cluster", "bad name!", cwd=tmp_path)
    assert proc.returncode == 1
    assert "cluster name" in proc.stderr.lower() and "Traceback" not in proc.stderr
    assert sandbox.aws_mutations() == []
    missing = sandbox.ampctl(*args[:-2], cwd=tmp_path)
    assert missing.returncode == 1
    assert "pass --cluster NAME and --region REGION" in missing.stderr
