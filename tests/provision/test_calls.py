"""No call that is not needed: what a first bootstrap and a re-run ask AWS, call by call (from the sandbox's log)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.conftest import Sandbox, ok

PRIMARY = "sandbox-primary"


def calls(sandbox: Sandbox) -> Counter[str]:
    log = sandbox._get(f"{sandbox.state.aws_endpoint}/_sandbox/calls")
    assert isinstance(log, list)
    return Counter(f"{c['service']}:{c['action']}" for c in log)


def test_first_bootstrap_and_rerun_ask_each_thing_once(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.reset()
    bootstrap = ("bootstrap", "--federated", "--yes", "--context", sandbox.context(PRIMARY))
    sandbox.clear_aws_calls()
    ok(sandbox.ampctl(*bootstrap, cwd=tmp_path))
    first = calls(sandbox)
    # The workspace: looked up once before the plan, created with its shape tags, then once more to settle a
    # same-alias race; no describe before the wait for ACTIVE, no tagging call of its own.
    assert first["aps:ListWorkspaces"] == 2 and first["aps:CreateWorkspace"] == 1, first
    tagging = sum(n for call, n in first.items() if call.startswith("aps:") and ("Tag" in call or "/tags/" in call))
    assert tagging == 0 and first["aps:DescribeWorkspace"] <= 1, first
    assert first["sts:GetCallerIdentity"] == 1 and first["eks:DescribeCluster"] == 1, first
    # Each role's attachments are read with the role by the plan; a role made just now is not listed again.
    assert first["iam:ListAttachedRolePolicies"] == 2 and first["iam:CreateRole"] == 2, first

    sandbox.clear_aws_calls()
    ok(sandbox.ampctl(*bootstrap, cwd=tmp_path))
    rerun = calls(sandbox)
    assert rerun["aps:ListWorkspaces"] == 1 and rerun["aps:DescribeWorkspace"] == 0, rerun
    assert rerun["sts:GetCallerIdentity"] == 1 and rerun["iam:GetRole"] == 2, rerun
    assert rerun["s3:HeadBucket"] == 1 and rerun["s3:GetBucketTagging"] == 1, rerun
    assert not sandbox.aws_mutations()
