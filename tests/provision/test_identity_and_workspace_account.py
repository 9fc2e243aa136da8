"""EKS Pod Identity and a workspace in another account together: the pods get their cluster role through the
association, chain from it to the roles in the workspace's account, and write their federated ETL as that role."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.conftest import Sandbox, ok

PRIMARY = "sandbox-primary"


def test_pod_identity_pods_chain_to_the_workspace_account(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
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
    # Teardown without a role in the workspace's account deletes the cluster's side and names what stays there.
    proc = sandbox.ampctl("teardown", "--yes", "--context", sandbox.context(PRIMARY), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    query_role = f"kubecost-{PRIMARY}-amp-query"
    assert f"{query_role} (assumed by kubecost-{PRIMARY}-cost-analyzer) stays" in proc.stderr, proc.stderr
    assert sandbox.workspace_client("iam").get_role(RoleName=query_role)["Role"]["RoleName"] == query_role
    assert not sandbox.client("eks").list_pod_identity_associations(clusterName=PRIMARY)["associations"]
    again = sandbox.ampctl("teardown", "--yes", "--workspace-account-role", sandbox.workspace_role,
                           "--context", sandbox.context(PRIMARY), cwd=tmp_path)  # fmt: skip
    assert again.returncode == 0, again.stderr
    roles = [r["RoleName"] for r in sandbox.workspace_client("iam").list_roles()["Roles"]]
    assert not [r for r in roles if r.startswith(f"kubecost-{PRIMARY}")], roles
