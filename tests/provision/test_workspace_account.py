"""A fleet whose AMP workspace is in another account (A) and whose clusters are in the sandbox's account (B):
bootstrap + add-cluster, doctor end to end, a broken trust found and repaired, a re-run that changes nothing,
teardown; and a bad role ARN refused before any call. The tests of this module run in order on one fleet."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import Sandbox

PRIMARY, EAST = "sandbox-primary", "sandbox-east"
B = "123456789012"
AMP_POLICIES = {"AmazonPrometheusQueryAccess", "AmazonPrometheusRemoteWriteAccess"}


def _fleet(sandbox: Sandbox, work: Path, role: str) -> Path:
    path = work / "ampctl.yaml"
    path.write_text(
        "\n".join(
            [
                "apiVersion: ampctl/v1",
                "kind: Fleet",
                "name: central",
                f"region: {sandbox.state.region}",
                "federated: true",
                "workspace:",
                f"  role_arn: {role}",
                "primary:",
                f"  context: {sandbox.context(PRIMARY)}",
                "clusters:",
                f"  - context: {sandbox.context(EAST)}",
            ]  # fmt: skip
        )
        + "\n"
    )
    return path


@pytest.fixture(scope="module")
def fleet(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    sandbox.reset()
    work = tmp_path_factory.mktemp("central")
    path = _fleet(sandbox, work, sandbox.workspace_role)
    for command in ("bootstrap", "add-cluster"):
        proc = sandbox.ampctl(command, "-F", str(path), "--yes", cwd=work)
        assert proc.returncode == 0, proc.stderr
    return path


def _doctor(sandbox: Sandbox, fleet: Path, *extra: str) -> tuple[int, dict[str, dict[str, dict]]]:
    proc = sandbox.ampctl("doctor", "-F", str(fleet), "-o", "json", *extra, cwd=fleet.parent)
    assert proc.returncode in (0, 2), proc.stderr
    clusters = json.loads(proc.stdout)["clusters"]
    return proc.returncode, {c["cluster"]: {ch["id"]: ch for ch in c["checks"]} for c in clusters}


def _roles(iam: object) -> dict[str, dict]:
    return {r["RoleName"]: r for r in iam.list_roles()["Roles"]}  # type: ignore[attr-defined]


def test_the_workspace_and_its_roles_live_in_the_other_account(sandbox: Sandbox, fleet: Path) -> None:
    assert sandbox.client("amp").list_workspaces()["workspaces"] == []
    workspaces = sandbox.workspace_client("amp").list_workspaces()["workspaces"]
    assert [w["alias"] for w in workspaces] == ["kubecost-amp"]
    iam_a, iam_b = sandbox.workspace_client("iam"), sandbox.client("iam")
    for cluster in (PRIMARY, EAST):
        for component, suffix in (("cost-analyzer", "amp-query"), ("prometheus-server", "amp-write")):
            source, target = f"kubecost-{cluster}-{component}", f"kubecost-{cluster}-{suffix}"
            role = iam_a.get_role(RoleName=target)["Role"]
            assert {"Key": "managed-by", "Value": "ampctl"} in role["Tags"]
            statements = role["AssumeRolePolicyDocument"]["Statement"]
            assert statements == [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:role/{source}"}, "Action": "sts:AssumeRole"}
            ]
            attached = {p["PolicyName"] for p in iam_a.list_attached_role_policies(RoleName=target)["AttachedPolicies"]}
            assert attached & AMP_POLICIES == {"AmazonPrometheusQueryAccess" if suffix == "amp-query" else
                                               "AmazonPrometheusRemoteWriteAccess"}  # fmt: skip
            # In B: no AMP policy any more, and an inline policy that may assume exactly the role in A.
            in_b = {p["PolicyName"] for p in iam_b.list_attached_role_policies(RoleName=source)["AttachedPolicies"]}
            assert in_b & AMP_POLICIES == set()
            inline = iam_b.get_role_policy(RoleName=source, PolicyName="ampctl-assume-workspace-role")
            assert inline["PolicyDocument"]["Statement"] == [
                {
                    "Sid": "AssumeWorkspaceRole",
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Resource": f"arn:aws:iam::{sandbox.state.workspace_account}:role/{target}",
                }
            ]


def test_data_reaches_the_workspace_and_kubecost_reads_it(sandbox: Sandbox, fleet: Path) -> None:
    code, checks = _doctor(sandbox, fleet, "--wait", "90s")
    failing = {c: [i for i, ch in found.items() if ch["status"] == "fail"] for c, found in checks.items()}
    assert code == 0, failing
    for cluster in (PRIMARY, EAST):
        for check in ("promql.amp.memory", "promql.kubecost.memory", "chain.cost-analyzer.trust", "chain.values"):
            assert checks[cluster][check]["status"] == "pass", (cluster, checks[cluster][check])


def test_status_reads_the_workspace_in_the_other_account(sandbox: Sandbox, fleet: Path) -> None:
    proc = sandbox.ampctl("status", "-F", str(fleet), "-o", "json", cwd=fleet.parent)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    [workspace] = sandbox.workspace_client("amp").list_workspaces()["workspaces"]
    assert result["workspace_id"] == workspace["workspaceId"]
    states = {c["cluster"]: c["state"] for c in result["clusters"]}
    assert states == {PRIMARY: "reporting", EAST: "reporting"}


def test_a_missing_assume_policy_is_found_and_repaired(sandbox: Sandbox, fleet: Path) -> None:
    role = f"kubecost-{EAST}-prometheus-server"
    sandbox.client("iam").delete_role_policy(RoleName=role, PolicyName="ampctl-assume-workspace-role")
    code, checks = _doctor(sandbox, fleet)
    assert code == 2
    broken = checks[EAST]["chain.prometheus-server.assume"]
    assert broken["status"] == "fail"
    assert f"role {role} (account {B}) may not assume" in broken["evidence"]
    assert checks[PRIMARY]["chain.prometheus-server.assume"]["status"] == "pass"
    proc = sandbox.ampctl("add-cluster", "-F", str(fleet), "--yes", cwd=fleet.parent)
    assert proc.returncode == 0, proc.stderr
    assert f"create IAM policy ampctl-assume-workspace-role on role {role}" in proc.stderr
    code, checks = _doctor(sandbox, fleet)
    assert checks[EAST]["chain.prometheus-server.assume"]["status"] == "pass"


def test_a_re_run_changes_nothing(sandbox: Sandbox, fleet: Path) -> None:
    sandbox.clear_aws_calls()
    for command in ("bootstrap", "add-cluster"):
        proc = sandbox.ampctl(command, "-F", str(fleet), "--yes", cwd=fleet.parent)
        assert proc.returncode == 0, proc.stderr
        assert "nothing to change" in proc.stderr
    assert sandbox.aws_mutations() == []


def test_a_removed_trust_entry_names_the_broken_hop_and_bootstrap_repairs_it(sandbox: Sandbox, fleet: Path) -> None:
    account = sandbox.state.workspace_account
    someone_else = f"arn:aws:iam::{B}:role/kubecost-{EAST}-cost-analyzer"  # IAM refuses a principal that does not exist
    other = {"Effect": "Allow", "Principal": {"AWS": someone_else}, "Action": "sts:AssumeRole"}
    sandbox.workspace_client("iam").update_assume_role_policy(
        RoleName=f"kubecost-{PRIMARY}-amp-query",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [other]}),
    )
    code, checks = _doctor(sandbox, fleet)
    assert code == 2
    broken = checks[PRIMARY]["chain.cost-analyzer.trust"]
    assert broken["status"] == "fail"
    assert f"kubecost-{PRIMARY}-amp-query in workspace account {account} does not trust" in broken["evidence"]
    assert f"arn:aws:iam::{B}:role/kubecost-{PRIMARY}-cost-analyzer" in broken["evidence"]
    assert "ampctl bootstrap" in broken["fix"] and "--workspace-account-role" in broken["fix"]
    assert checks[EAST]["chain.cost-analyzer.trust"]["status"] == "pass"
    # The sigv4 proxy's AssumeRole was refused as AWS refuses it, and its log says so.
    assert "the role chain to the workspace account is refused" in checks[PRIMARY]["logs.sigv4proxy"]["evidence"]
    proc = sandbox.ampctl("bootstrap", "-F", str(fleet), "--yes", cwd=fleet.parent)
    assert proc.returncode == 0, proc.stderr
    assert f"update IAM role kubecost-{PRIMARY}-amp-query in workspace account {account}" in proc.stderr
    code, checks = _doctor(sandbox, fleet, "--wait", "60s")
    assert checks[PRIMARY]["chain.cost-analyzer.trust"]["status"] == "pass"
    assert checks[PRIMARY]["promql.kubecost.memory"]["status"] == "pass"


def test_a_federated_agent_in_another_account_than_the_primarys_is_refused(sandbox: Sandbox, fleet: Path) -> None:
    """The sandbox has one cluster account: the primary's query role in A is made to trust another account's."""
    iam_a = sandbox.workspace_client("iam")
    name = f"kubecost-{PRIMARY}-amp-query"
    elsewhere = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::999999999999:role/kubecost-{PRIMARY}-"
                 "cost-analyzer"}, "Action": "sts:AssumeRole"}  # fmt: skip
    iam_a.update_assume_role_policy(
        RoleName=name, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [elsewhere]})
    )
    sandbox.clear_aws_calls()
    proc = sandbox.ampctl("add-cluster", "-F", str(fleet), "--yes", cwd=fleet.parent)
    assert proc.returncode == 1
    assert f"{EAST} is in account {B}, but the fleet's federated primary {PRIMARY}" in proc.stderr
    assert "in account 999999999999" in proc.stderr
    assert sandbox.aws_mutations() == []
    repaired = sandbox.ampctl("bootstrap", "-F", str(fleet), "--yes", cwd=fleet.parent)
    assert repaired.returncode == 0, repaired.stderr


def test_teardown_removes_the_roles_in_both_accounts(sandbox: Sandbox, fleet: Path) -> None:
    proc = sandbox.ampctl("teardown", "-F", str(fleet), "--yes", cwd=fleet.parent)
    assert proc.returncode == 0, proc.stderr
    left_a = [n for n in _roles(sandbox.workspace_client("iam")) if n.startswith("kubecost-")]
    left_b = [n for n in _roles(sandbox.client("iam")) if n.startswith("kubecost-")]
    assert (left_a, left_b) == ([], [])
    again = sandbox.ampctl("teardown", "-F", str(fleet), "--yes", cwd=fleet.parent)
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stderr


@pytest.mark.parametrize(
    "arn", ["arn:aws:iam::12345:role/x", "arn:aws:iam::210987654321:user/admin", "ampctl-sandbox-admin"]
)
def test_a_bad_role_arn_is_refused_before_any_call(sandbox: Sandbox, tmp_path: Path, arn: str) -> None:
    sandbox.clear_aws_calls()
    for command in ("bootstrap", "doctor", "teardown", "status"):
        proc = sandbox.ampctl(
            command, "--workspace-account-role", arn, "--context", sandbox.context(PRIMARY), cwd=tmp_path
        )
        assert proc.returncode == 1, (command, proc.stderr)
        assert f"invalid --workspace-account-role {arn!r}" in proc.stderr
        assert "Traceback" not in proc.stderr
    fleet = _fleet(sandbox, tmp_path, arn)
    proc = sandbox.ampctl("add-cluster", "-F", str(fleet), "--yes", cwd=tmp_path)
    assert proc.returncode == 1
    assert f"{fleet}:7: invalid workspace.role_arn" in proc.stderr
    with urllib.request.urlopen(f"{sandbox.state.aws_endpoint}/_sandbox/calls") as answer:
        assert json.loads(answer.read()) == []
