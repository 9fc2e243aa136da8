"""The roles made in the workspace's account under faults: lost answers on their creates, throttling and 5xx on
every IAM call there. Each run ends right, after a re-run at most, and a further re-run changes nothing."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Sandbox
from tests.reliability.world import PRIMARY, aws_calls, set_faults

ROLES = (f"kubecost-{PRIMARY}-amp-query", f"kubecost-{PRIMARY}-amp-write")


def _bootstrap(sandbox: Sandbox, work: Path) -> tuple[int, str]:
    proc = sandbox.ampctl(
        "bootstrap", "--yes", "--workspace-account-role", sandbox.workspace_role, "--context",
        sandbox.context(PRIMARY), cwd=work,
    )  # fmt: skip
    return proc.returncode, proc.stderr


def _ends_right(sandbox: Sandbox, work: Path) -> None:
    iam = sandbox.workspace_client("iam")
    made = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("kubecost-")]
    assert sorted(made) == sorted(ROLES)
    for name in ROLES:
        assert {"Key": "managed-by", "Value": "ampctl"} in iam.get_role(RoleName=name)["Role"]["Tags"]
        assert len(iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]) == 1
    sandbox.clear_aws_calls()
    code, stderr = _bootstrap(sandbox, work)
    assert code == 0, stderr
    assert "nothing to change" in stderr
    assert sandbox.aws_mutations() == []


def test_lost_answers_on_the_creates_in_the_workspace_account(clean: Sandbox, tmp_path: Path) -> None:
    account = clean.state.workspace_account
    # Seed 82 loses the first two answers (both roles are made, the client gets a 500) and not their retries.
    set_faults(clean, lost_rate=0.5, seed=82, only=f"{account}/iam:CreateRole")
    code, stderr = _bootstrap(clean, tmp_path)
    lost = [c for c in aws_calls(clean) if c["fault"] == "lost"]
    set_faults(clean)
    assert code == 0, stderr
    assert [(c["account"], c["action"]) for c in lost] == [(account, "CreateRole")] * 2
    _ends_right(clean, tmp_path)


def test_throttling_and_5xx_in_the_workspace_account(clean: Sandbox, tmp_path: Path) -> None:
    account = clean.state.workspace_account
    set_faults(clean, throttle_rate=0.3, error_rate=0.2, seed=82, only=f"{account}/iam:*")
    # Seed 82 throttles the first call there and fails the second; a run whose retries ran out would stop, and
    # the next go on from what exists.
    for _ in range(3):
        code, stderr = _bootstrap(clean, tmp_path)
        if code == 0:
            break
    faults = {c["fault"] for c in aws_calls(clean) if c["fault"]}
    set_faults(clean)
    assert code == 0, stderr
    assert faults == {"throttle", "error"}
    _ends_right(clean, tmp_path)
