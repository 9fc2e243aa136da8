"""EKS Pod Identity and a workspace in another account together: the pods get their cluster role through the
association, chain from it to the roles in the workspace's account, and write their federated ETL as that role."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ampctl.documents import documents_equal
from ampctl.sandbox.config import Faults
from tests.conftest import Sandbox, ok

PRIMARY = "sandbox-primary"


def _same_as_render(sandbox: Sandbox, tmp_path: Path) -> None:
    """`ampctl render` writes the trust and assume documents bootstrap wrote, sts:TagSession included."""
    cluster = sandbox.client("eks").describe_cluster(name=PRIMARY)["cluster"]
    out = tmp_path / "render"
    ok(sandbox.ampctl("render", "--out-dir", str(out), "--cluster", PRIMARY, "--region", sandbox.state.region,
                      "--account", sandbox.state.account, "--oidc-issuer", cluster["identity"]["oidc"]["issuer"],
                      "--workspace-id", "ws-x", "--identity", "pod-identity", "--federated",
                      "--workspace-account-role", sandbox.workspace_role, "-o", "json"))  # fmt: skip
    iam, ws_iam = sandbox.client("iam"), sandbox.workspace_client("iam")
    for component, target in (("cost-analyzer", "amp-query"), ("prometheus-server", "amp-write")):
        role = f"kubecost-{PRIMARY}-{component}"
        rendered = json.loads((out / "iam" / f"{role}-trust.json").read_text())
        assert documents_equal(iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"], rendered)
        name = f"kubecost-{PRIMARY}-{target}"
        rendered = json.loads((out / "iam" / "workspace-account" / f"{name}-trust.json").read_text())
        trust = ws_iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        assert documents_equal(trust, rendered) and "sts:TagSession" in json.dumps(trust)
        rendered = json.loads((out / "iam" / f"{role}-ampctl-assume-workspace-role.json").read_text())
        got = iam.get_role_policy(RoleName=role, PolicyName="ampctl-assume-workspace-role")["PolicyDocument"]
        assert documents_equal(got, rendered) and "sts:TagSession" in json.dumps(got)


def test_pod_identity_pods_chain_to_the_workspace_account(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    # IAM's eventual consistency: the roles just made in the cluster's account are refused as principals of the
    # workspace account's trusts for a while ("Invalid principal in policy"); bootstrap waits it out.
    sandbox._post(f"{sandbox.state.aws_endpoint}/_sandbox/faults", {"iam_propagation_seconds": 3.0})
    try:
        proc = sandbox.ampctl("bootstrap", "--federated", "--yes", "--identity", "pod-identity", "-v",
                              "--install-pod-identity-agent", "--workspace-account-role", sandbox.workspace_role,
                              "--context", sandbox.context(PRIMARY), cwd=tmp_path)  # fmt: skip
    finally:
        sandbox._post(f"{sandbox.state.aws_endpoint}/_sandbox/faults", {})
    assert proc.returncode == 0, proc.stderr
    assert "IAM does not know the trusted role yet" in proc.stderr, proc.stderr
    _same_as_render(sandbox, tmp_path)
    assert Faults().iam_propagation_seconds == 0.0  # off unless a test turns it on
    ok(sandbox.ampctl("bootstrap", "--federated", "--yes", "--identity", "pod-identity",
                      "--install-pod-identity-agent", "--workspace-account-role", sandbox.workspace_role,
                      "--context", sandbox.context(PRIMARY), cwd=tmp_path))  # fmt: skip
    proc = sandbox.ampctl("doctor", "-o", "json", "--wait", "60s", "--max-sample-age", "5s",
                          "--workspace-account-role", sandbox.workspace_role,
                          "--context", sandbox.context(PRIMARY), cwd=tmp_path)  # fmt: skip
    checks = {c["id"]: c for c in json.loads(proc.stdout)["clusters"][0]["checks"]}
    failing = [c for c in checks.values() if c["status"] == "fail"]
    assert proc.returncode == 0 and not failing, failing
    for passing in ("pod-identity.cost-analyzer.association", "chain.cost-analyzer.trust", "chain.values",
                    "promql.amp.memory", "promql.kubecost.memory"):  # fmt: skip
        assert checks[passing]["status"] == "pass", checks[passing]
    s3 = sandbox.client("s3")
    bucket = f"kubecost-etl-{sandbox.state.account}-{sandbox.state.region}"
    end = time.monotonic() + 60
    while not s3.list_objects_v2(Bucket=bucket, Prefix=f"federated/{PRIMARY}/")["KeyCount"]:
        assert time.monotonic() < end, f"no ETL objects under s3://{bucket}/federated/{PRIMARY}/"
        time.sleep(0.5)
    # A chain without sts:TagSession is refused as on AWS, doctor names it, and a re-run puts it back.
    from ampctl.documents import role_trust_policy

    query_role = f"kubecost-{PRIMARY}-amp-query"
    source = f"arn:aws:iam::{sandbox.state.account}:role/kubecost-{PRIMARY}-cost-analyzer"
    sandbox.workspace_client("iam").update_assume_role_policy(
        RoleName=query_role, PolicyDocument=json.dumps(role_trust_policy(source))
    )
    doctor = ("doctor", "-o", "json", "--wait", "0s", "--workspace-account-role", sandbox.workspace_role,
              "--context", sandbox.context(PRIMARY))  # fmt: skip
    proc = sandbox.ampctl(*doctor, cwd=tmp_path)
    checks = {c["id"]: c for c in json.loads(proc.stdout)["clusters"][0]["checks"]}
    assert proc.returncode == 2 and checks["chain.cost-analyzer.trust"]["status"] == "fail"
    assert "needs sts:TagSession" in checks["chain.cost-analyzer.trust"]["evidence"]
    ok(sandbox.ampctl("bootstrap", "--federated", "--yes", "--workspace-account-role", sandbox.workspace_role,
                      "--context", sandbox.context(PRIMARY), cwd=tmp_path))  # fmt: skip
    proc = sandbox.ampctl(*doctor, cwd=tmp_path)
    checks = {c["id"]: c for c in json.loads(proc.stdout)["clusters"][0]["checks"]}
    assert checks["chain.cost-analyzer.trust"]["status"] == "pass", checks["chain.cost-analyzer.trust"]
    # Teardown without a role in the workspace's account deletes the cluster's side and names what stays there.
    proc = sandbox.ampctl("teardown", "--yes", "--context", sandbox.context(PRIMARY), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"{query_role} (assumed by kubecost-{PRIMARY}-cost-analyzer) stays" in proc.stderr, proc.stderr
    assert sandbox.workspace_client("iam").get_role(RoleName=query_role)["Role"]["RoleName"] == query_role
    assert not sandbox.client("eks").list_pod_identity_associations(clusterName=PRIMARY)["associations"]
    again = sandbox.ampctl("teardown", "--yes", "--workspace-account-role", sandbox.workspace_role,
                           "--context", sandbox.context(PRIMARY), cwd=tmp_path)  # fmt: skip
    assert again.returncode == 0, again.stderr
    roles = [r["RoleName"] for r in sandbox.workspace_client("iam").list_roles()["Roles"]]
    assert not [r for r in roles if r.startswith(f"kubecost-{PRIMARY}")], roles
