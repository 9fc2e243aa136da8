"""A new Kubecost 3.2.1 fleet on the sandbox with the real `kubecost` chart: bootstrap and add-cluster make the bucket
(with the fleet's shape on it), one role per ServiceAccount that uses the bucket, the ServiceAccounts and the
federated-storage Secret, and no AMP workspace; a second run plans nothing; a 2.x cluster in that fleet is refused.
doctor is green on every cluster (each finops-agent's data fresh in the bucket, the aggregator reading all of it),
under IRSA and under EKS Pod Identity, and a teardown with --delete-bucket --force leaves nothing ampctl made."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REAL_CHARTS, Sandbox, ok

PRIMARY, EAST, WEST = "sandbox-primary", "sandbox-east", "sandbox-west"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
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
    # doctor: every cluster green on 3.x.
    reports = doctor(sandbox, tmp_path)
    assert f"s3://{bucket}/federated/{EAST}/" in reports[EAST]["kubecost3.freshness"]["evidence"]
    # Again: nothing to change. A 2.x cluster in this fleet: refused before any change.
    again = sandbox.ampctl("add-cluster", *agents, "--yes", cwd=tmp_path)
    assert again.returncode == 0 and "nothing to change" in again.stderr, again.stderr
    sandbox.clear_aws_calls()
    mixed = sandbox.ampctl("add-cluster", "--context", sandbox.context(EAST), "--kubecost-version", "2.8.7", "--yes",
                           cwd=tmp_path)  # fmt: skip
    assert mixed.returncode == 1 and "mixes AMP-based (1.x/2.x) and Kubecost 3.x clusters" in mixed.stderr
    assert "Traceback" not in mixed.stderr and sandbox.aws_mutations() == []
    # The primary's aggregator reads every cluster's data with its own role (the sandbox's log line).
    assert "of 3 cluster(s)" in aggregator_log(sandbox), aggregator_log(sandbox)[-500:]
    status = ok(sandbox.ampctl("status", "--all", "-o", "json", cwd=tmp_path))
    assert {c["cluster"]: (c["line"], c["state"]) for c in status["clusters"]} == {
        c: ("3.x", "reporting") for c in (PRIMARY, EAST, WEST)
    }
    assert {c["cluster"]: c["roles"] for c in status["clusters"]}[PRIMARY] == dict.fromkeys(
        ("finops-agent", "aggregator", "cluster-controller"), True
    )
    # WEST's finops-agent loses the bucket: its log shows S3's denial, and doctor names the role and the denial.
    policy = f"arn:aws:iam::{sandbox.state.account}:policy/kubecost-s3-federated-policy-{WEST}"
    iam.detach_role_policy(RoleName=f"kubecost-{WEST}-finops-agent", PolicyArn=policy)
    wait_for("the denial", lambda: "AccessDenied" in agent_log(sandbox, WEST))
    time.sleep(1.5)
    proc = sandbox.ampctl("doctor", "--context", sandbox.context(WEST), "--max-sample-age", "1s", "-o", "json",
                          cwd=tmp_path)  # fmt: skip
    checks = {c["id"]: c for c in json.loads(proc.stdout)["clusters"][0]["checks"]}
    assert proc.returncode == 2 and checks["kubecost3.finops-agent.access"]["status"] == "fail"
    assert "lacks s3:PutObject" in checks["kubecost3.finops-agent.access"]["evidence"]
    assert "(older than 1s); finops-agent: ERR export: failed to write" in checks["kubecost3.freshness"]["evidence"]
    assert "AccessDenied" in checks["kubecost3.freshness"]["evidence"], checks["kubecost3.freshness"]
    aggregator_down(sandbox, tmp_path)
    torn_down(sandbox, tmp_path)


def test_a_pod_identity_3x_fleet(fresh: Sandbox, tmp_path: Path) -> None:
    sandbox = fresh
    agent = ["--install-pod-identity-agent", "--yes"]
    ok(sandbox.ampctl("bootstrap", "--kubecost-version", "3.2.1", "--identity", "pod-identity", "--context",
                      sandbox.context(PRIMARY), *agent, cwd=tmp_path))  # fmt: skip
    ok(sandbox.ampctl("add-cluster", "--context", sandbox.context(EAST), "--context", sandbox.context(WEST), *agent,
                      cwd=tmp_path))  # fmt: skip
    accounts = sandbox.kube(EAST).list_namespaced_service_account("kubecost").items
    assert not [sa.metadata.name for sa in accounts if (sa.metadata.annotations or {}).get(IRSA_ANNOTATION)]
    reports = doctor(sandbox, tmp_path)
    for checks in reports.values():
        assert "trusted by pods.eks.amazonaws.com" in checks["kubecost3.finops-agent.identity"]["evidence"]
        assert checks["pod-identity.agent"]["status"] == "pass"
        assert checks["irsa.oidc-provider"]["status"] == "skip"
    assert "of 3 cluster(s)" in aggregator_log(sandbox)
    upgraded_on_the_bucket(sandbox, tmp_path)
    torn_down(sandbox, tmp_path)


def doctor(sandbox: Sandbox, cwd: Path) -> dict[str, dict[str, dict]]:
    """doctor --all --wait: each cluster green, its finops-agent's data fresh, AMP's checks skipped with the reason."""
    proc = sandbox.ampctl("doctor", "--all", "--wait", "1m", "--max-sample-age", "30s", "-o", "json", cwd=cwd,
                          timeout=240)  # fmt: skip
    failing = [(c["cluster"], k) for c in json.loads(proc.stdout)["clusters"] for k in c["checks"]
               if k["status"] == "fail"]  # fmt: skip
    assert proc.returncode == 0, [(c, k["id"], k["evidence"][-150:]) for c, k in failing]
    reports = {c["cluster"]: {k["id"]: k for k in c["checks"]} for c in json.loads(proc.stdout)["clusters"]}
    assert sorted(reports) == sorted((PRIMARY, EAST, WEST))
    for cluster, checks in reports.items():
        assert {i for i, c in checks.items() if c["status"] not in ("pass", "skip")} == set(), (cluster, checks)
        assert f"/federated/{cluster}/, newest" in checks["kubecost3.freshness"]["evidence"]
        assert checks["kubecost3.finops-agent.identity"]["status"] == "pass"
        assert checks["kubecost3.workloads"]["status"] == checks["kubecost3.leftovers"]["status"] == "pass"
        assert checks["promql.amp.memory"]["evidence"].startswith("Kubecost 3.x: 3.x has no Prometheus")
        assert checks["irsa.cost-analyzer.role"]["status"] == "skip"
    assert reports[PRIMARY]["kubecost3.aggregator.access"]["status"] == "pass"
    api = reports[PRIMARY]["kubecost3.aggregator.api"]["evidence"]
    assert "service kubecost/kubecost-frontend:tcp-frontend /model/healthz -> HTTP 200 (no body)" in api, api
    assert reports[EAST]["kubecost3.aggregator.api"]["evidence"].startswith("an agent runs no aggregator or frontend")
    assert reports[EAST]["kubecost3.aggregator.identity"]["evidence"] == "an agent runs no aggregator"
    return reports


def upgraded_on_the_bucket(sandbox: Sandbox, cwd: Path) -> None:
    """An upgrade to 3.x recorded on the fleet's bucket: status shows it, every cluster on its target, each cluster's
    roles those of its own line."""
    from ampctl.upgrade.record import RUNNING, Holder, Progress

    bucket = ok(sandbox.ampctl("status", "--all", "-o", "json", cwd=cwd))["fleet"]["bucket"]
    Holder(sandbox.client("s3"), bucket=bucket).write(Progress("3.2.1", "2.9.7", RUNNING, wave="1/2").tags())
    document = ok(sandbox.ampctl("status", "--all", "-o", "json", cwd=cwd))
    upgrade = document["upgrade"]
    assert (upgrade["holder"], upgrade["summary"]) == (
        f"bucket {bucket}",
        "upgrade 2.9.7 -> 3.2.1 running, waves done 1/2",
    )
    rows = {c["cluster"]: c for c in document["clusters"]}
    assert {c: (r["on_target"], r["upgrade"], r["differs"]) for c, r in rows.items()} == {
        c: (True, "on target", []) for c in (PRIMARY, EAST, WEST)
    }
    assert rows[PRIMARY]["roles"] == dict.fromkeys(("finops-agent", "aggregator", "cluster-controller"), True)
    assert rows[EAST]["service_accounts"] == dict.fromkeys(("finops-agent", "cluster-controller"), True)


def aggregator_down(sandbox: Sandbox, cwd: Path) -> None:
    """Without an aggregator pod the frontend answers 502 and doctor says where to look; without the frontend the
    check is skipped, naming the failed workloads check."""
    from kubernetes import client

    apps = client.AppsV1Api(sandbox.kube(PRIMARY).api_client)
    apps.patch_namespaced_stateful_set_scale("kubecost-aggregator", "kubecost", {"spec": {"replicas": 0}})
    core = sandbox.kube(PRIMARY)
    wait_for(
        "no aggregator pod", lambda: not core.list_namespaced_pod("kubecost", label_selector="app=aggregator").items
    )

    def checks() -> dict[str, dict]:
        proc = sandbox.ampctl("doctor", "--context", sandbox.context(PRIMARY), "-o", "json", cwd=cwd)
        assert proc.returncode == 2, proc.stdout[-2000:]
        return {c["id"]: c for c in json.loads(proc.stdout)["clusters"][0]["checks"]}

    found = checks()["kubecost3.aggregator.api"]
    assert found["status"] == "fail" and "-> HTTP 502 (502 Bad Gateway)" in found["evidence"], found
    assert "logs statefulset/kubecost-aggregator" in found["fix"], found
    apps.delete_namespaced_deployment("kubecost-frontend", "kubecost")
    report = checks()
    assert "deployment kubecost/kubecost-frontend not found" in report["kubecost3.workloads"]["evidence"]
    assert report["kubecost3.aggregator.api"]["status"] == "skip"
    assert report["kubecost3.aggregator.api"]["evidence"] == "needs kubecost3.workloads (fail)"


def aggregator_log(sandbox: Sandbox) -> str:
    return pod_log(sandbox, PRIMARY, "app=aggregator", "aggregator")


def agent_log(sandbox: Sandbox, cluster: str) -> str:
    return pod_log(sandbox, cluster, "app.kubernetes.io/component=agent", "finops-agent")


def pod_log(sandbox: Sandbox, cluster: str, selector: str, container: str) -> str:
    core = sandbox.kube(cluster)
    pods = core.list_namespaced_pod("kubecost", label_selector=selector).items
    return "".join(core.read_namespaced_pod_log(p.metadata.name, "kubecost", container=container) for p in pods)


def wait_for(what: str, ready: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def torn_down(sandbox: Sandbox, cwd: Path) -> None:
    """teardown --all --delete-bucket --force removes every role, policy, ServiceAccount, Secret, release and the
    bucket ampctl made for the 3.x fleet."""
    from tests.reliability.world import gone, inventory

    ok(sandbox.ampctl("teardown", "--all", "--delete-bucket", "--force", "--yes", "-o", "json", cwd=cwd, timeout=600))
    assert gone(inventory(sandbox)) == []
