"""A new Kubecost 3.2.1 fleet on the sandbox with the real `kubecost` chart: bootstrap and add-cluster make the bucket
(with the fleet's shape on it), one role per ServiceAccount that uses the bucket, the ServiceAccounts and the
federated-storage Secret, and no AMP workspace; a second run plans nothing; a 2.x cluster in that fleet is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REAL_CHARTS, Sandbox, ok

PRIMARY, EAST, WEST = "sandbox-primary", "sandbox-east", "sandbox-west"
pytestmark = pytest.mark.skipif(not REAL_CHARTS.is_dir(), reason="the real charts are not beside the repository")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory, prometheus_bin: str) -> Iterator[Sandbox]:
    """A sandbox of its own: a 3.x fleet takes the account's default bucket, which the shared fleets use."""
    from ampctl.sandbox import manager
    from ampctl.sandbox.config import SandboxConfig

    state_dir = tmp_path_factory.mktemp("sandbox-kc3")
    manager.up(SandboxConfig(state_dir=state_dir, feeder_interval=0.5, prometheus_bin=prometheus_bin,
                             charts_dir=REAL_CHARTS))  # fmt: skip
    try:
        yield Sandbox(state_dir)
    finally:
        manager.down(state_dir)


def test_a_new_3x_fleet_on_the_bucket(fresh: Sandbox, tmp_path: Path) -> None:
    sandbox = fresh
    ok(sandbox.ampctl("bootstrap", "--kubecost-version", "3.2.1", "--context", sandbox.context(PRIMARY), "--yes",
                      cwd=tmp_path))  # fmt: skip
    agents = ["--context", sandbox.context(EAST), "--context", sandbox.context(WEST)]
    result = ok(sandbox.ampctl("add-cluster", *agents, "--yes", "-o", "json", cwd=tmp_path))
    assert {c["mode"] for c in result["clusters"]} == {"federated"}
    bucket = result["clusters"][0]["bucket"]
    tags = {t["Key"]: t["Value"] for t in sandbox.client("s3").get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["ampctl/chart-line"] == "3.x" and tags["ampctl/chart-version"] == "3.2.1"
    assert tags["ampctl/primary"] == PRIMARY and tags["managed-by"] == "ampctl"
    assert sandbox.client("amp").list_workspaces()["workspaces"] == []
    iam = sandbox.client("iam")
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("kubecost-")}
    assert roles == {f"kubecost-{PRIMARY}-aggregator"} | {
        f"kubecost-{c}-{component}"
        for c in (PRIMARY, EAST, WEST)
        for component in ("finops-agent", "cluster-controller")
    }
    attached = iam.list_attached_role_policies(RoleName=f"kubecost-{EAST}-finops-agent")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == [f"kubecost-s3-federated-policy-{EAST}"]
    core = sandbox.kube(EAST)
    accounts = {
        sa.metadata.name: sa.metadata.annotations for sa in core.list_namespaced_service_account("kubecost").items
    }
    assert accounts["kubecost-finopsagent"]["eks.amazonaws.com/role-arn"].endswith(f"role/kubecost-{EAST}-finops-agent")
    assert "kubecost-aggregator" not in accounts  # an agent runs no aggregator
    secret = core.read_namespaced_secret("kubecost-object-store", "kubecost")
    assert list(secret.data) == ["federated-store.yaml"]
    # Again: nothing to change. A 2.x cluster in this fleet: refused before any change.
    again = sandbox.ampctl("add-cluster", *agents, "--yes", cwd=tmp_path)
    assert again.returncode == 0 and "nothing to change" in again.stderr, again.stderr
    sandbox.clear_aws_calls()
    mixed = sandbox.ampctl("add-cluster", "--context", sandbox.context(EAST), "--kubecost-version", "2.8.7", "--yes",
                           cwd=tmp_path)  # fmt: skip
    assert mixed.returncode == 1 and "mixes AMP-based (1.x/2.x) and Kubecost 3.x clusters" in mixed.stderr
    assert "Traceback" not in mixed.stderr and sandbox.aws_mutations() == []
