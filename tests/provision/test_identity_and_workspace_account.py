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
