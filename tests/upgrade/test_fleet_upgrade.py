"""A three-cluster 2.8.7 fleet on the sandbox, moved with `ampctl upgrade` to 2.9.7 and then to 3.2.1 with the real
charts: a canary that fails doctor stops the upgrade with the other clusters untouched and the stop recorded on the
workspace; a re-run resumes; 3.x is refused until the finops-agents have run two days on 2.9; a killed upgrade
resumes on a re-run; doctor is green after every wave."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REAL_CHARTS, TOOLS, Sandbox, ok
from tests.reliability.world import aws_calls, set_faults

PRIMARY, EAST, WEST = "sandbox-primary", "sandbox-east", "sandbox-west"
CLUSTERS = (PRIMARY, EAST, WEST)
pytestmark = pytest.mark.skipif(not REAL_CHARTS.is_dir(), reason="the real charts are not beside the repository")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, prometheus_bin: str) -> Iterator[tuple[Sandbox, Path]]:
    """A sandbox of its own (the move to 3.x records the fleet on the account's default bucket), with a federated
    2.8.7 fleet: a primary and two agents."""
    from ampctl.sandbox import manager
    from ampctl.sandbox.config import SandboxConfig

    state_dir = tmp_path_factory.mktemp("sandbox-upgrade")
    manager.up(SandboxConfig(state_dir=state_dir, feeder_interval=0.5, prometheus_bin=prometheus_bin,
                             charts_dir=REAL_CHARTS))  # fmt: skip
    sandbox, work = Sandbox(state_dir), tmp_path_factory.mktemp("upgrade-work")
    try:
        ok(sandbox.ampctl("bootstrap", "--federated", "--kubecost-version", "2.8.7", "--context",
                          sandbox.context(PRIMARY), "--yes", cwd=work))  # fmt: skip
        ok(sandbox.ampctl("add-cluster", *contexts(sandbox, EAST, WEST), "--yes", cwd=work))
        yield sandbox, work
    finally:
        manager.down(state_dir)


def contexts(sandbox: Sandbox, *clusters: str) -> list[str]:
    return [arg for c in clusters for arg in ("--context", sandbox.context(c))]


def versions(sandbox: Sandbox) -> dict[str, str]:
    """Each cluster's chart version, as its helm release says (through ampctl status)."""
    status = ok(sandbox.ampctl("status", *contexts(sandbox, *CLUSTERS), "-o", "json"))
    return {c["cluster"]: c["chart_version"] for c in status["clusters"]}


def record(sandbox: Sandbox) -> dict[str, str]:
    amp = sandbox.client("amp")
    (summary,) = amp.list_workspaces()["workspaces"]
    tags = amp.describe_workspace(workspaceId=summary["workspaceId"])["workspace"]["tags"]
    return {k: v for k, v in tags.items() if k.startswith("ampctl/upgrade-")}


def feeder(sandbox: Sandbox, cluster: str, paused: bool) -> None:
    body = json.dumps({"cluster": cluster, "paused": paused}).encode()
    request = urllib.request.Request(f"{sandbox.state.control_url}/_sandbox/feeder", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def upgrade(sandbox: Sandbox, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return sandbox.ampctl("upgrade", *contexts(sandbox, *CLUSTERS), "--yes", "--gate-wait", "60s", *args, cwd=work,
                          timeout=600)  # fmt: skip


def test_a_canary_that_fails_doctor_stops_the_upgrade(fleet: tuple[Sandbox, Path]) -> None:
    sandbox, work = fleet
    feeder(sandbox, EAST, paused=True)  # the canary's samples stop reaching AMP
    try:
        time.sleep(3)
        stopped = upgrade(sandbox, work, "--to", "2.9.7", "--canary", EAST, "--gate-wait", "2s",
                          "--max-sample-age", "2s")  # fmt: skip
    finally:
        feeder(sandbox, EAST, paused=False)
    assert stopped.returncode == 1, stopped.stderr
    assert "upgrade stopped at wave 1/3 (canary: sandbox-east): doctor fails: sandbox-east promql." in stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert versions(sandbox) == {PRIMARY: "2.8.7", EAST: "2.9.7", WEST: "2.8.7"}  # the others untouched
    recorded = record(sandbox)
    assert recorded["ampctl/upgrade-state"] == "stopped" and recorded["ampctl/upgrade-to"] == "2.9.7"
    assert recorded["ampctl/upgrade-note"].startswith("wave 1/3: doctor fails: sandbox-east promql.")
    # Meanwhile bootstrap and add-cluster are refused: the upgrade decides each cluster's turn.
    sandbox.clear_aws_calls()
    refused = sandbox.ampctl("add-cluster", *contexts(sandbox, WEST), "--yes", cwd=work)
    assert refused.returncode == 1 and "in the middle of an upgrade 2.8.7 -> 2.9.7 stopped" in refused.stderr
    assert "`ampctl upgrade --to 2.9.7` resumes it" in refused.stderr and sandbox.aws_mutations() == []
    # Another target while one is under way: refused before any change.
    other = upgrade(sandbox, work, "--to", "2.8.7")
    assert other.returncode == 1 and "finish it first with `ampctl upgrade --to 2.9.7`" in other.stderr
    # The canary's data flows again: the same command (the target is the record's) resumes and finishes, under
    # throttling, 5xx and lost answers from AMP, where the record lives (a run whose retries run out stops in one
    # line; a re-run goes on).
    set_faults(sandbox, throttle_rate=0.2, error_rate=0.2, lost_rate=0.2, seed=5, only="*/aps:*")
    try:
        faulted = upgrade(sandbox, work, "--canary", EAST)
        drawn = {c["fault"] for c in aws_calls(sandbox) if c["fault"]}
    finally:
        set_faults(sandbox)
    assert drawn == {"throttle", "error", "lost"}, drawn
    assert faulted.returncode in (0, 1) and "Traceback" not in faulted.stderr, faulted.stderr
    resumed = upgrade(sandbox, work, "--canary", EAST, "-o", "json")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["progress"]["state"] == "done"
    assert versions(sandbox) == dict.fromkeys(CLUSTERS, "2.9.7")
    assert record(sandbox)["ampctl/upgrade-state"] == "done"
    again = upgrade(sandbox, work, "--to", "2.9.7")
    assert again.returncode == 0 and "nothing to change" in again.stderr


def test_3x_waits_for_the_bridge_then_a_killed_move_resumes(fleet: tuple[Sandbox, Path]) -> None:
    sandbox, work = fleet
    if versions(sandbox) != dict.fromkeys(CLUSTERS, "2.9.7"):
        ok(upgrade(sandbox, work, "--to", "2.9.7", "-o", "json"))
    sandbox.clear_aws_calls()
    early = upgrade(sandbox, work, "--to", "3.2.1")
    assert early.returncode == 1 and "must run two days on 2.9 before 3.x" in early.stderr, early.stderr
    assert f"{EAST}: finops-agent has run 0." in early.stderr and sandbox.aws_mutations() == []
    sandbox_clock(sandbox, "49h")
    plan = ok(upgrade(sandbox, work, "--to", "3.2.1", "--dry-run", "-o", "json"))
    assert all(c["bridge"]["crossed"] for c in plan["clusters"]), plan["clusters"]
    primary = next(c for c in plan["clusters"] if c["cluster"] == PRIMARY)
    assert any("history re-ingested" in change for change in primary["changes"])
    # Killed once the primary's wave has passed doctor: the agents' wave is cut off.
    proc = subprocess.Popen(
        [sys.executable, "-m", "ampctl", "upgrade", *contexts(sandbox, *CLUSTERS), "--yes", "--to", "3.2.1",
         "--gate-wait", "60s"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ampctl_env(sandbox), cwd=work,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while record(sandbox).get("ampctl/upgrade-wave") != "1/2" and proc.poll() is None:
        assert time.monotonic() < deadline, "the primary's wave did not pass"
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert record(sandbox)["ampctl/upgrade-state"] == "running"
    assert versions(sandbox)[PRIMARY] == "3.2.1"
    status = ok(sandbox.ampctl("status", *contexts(sandbox, *CLUSTERS), "-o", "json"))
    assert status  # readable mid-upgrade
    resumed = upgrade(sandbox, work, "-o", "json")
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert [w["number"] for w in result["ran"]] == [2] and result["progress"]["state"] == "done"
    assert versions(sandbox) == dict.fromkeys(CLUSTERS, "3.2.1")
    # Each cluster runs 3.x with its own accounts; the 2.x ServiceAccounts are gone.
    accounts = {sa.metadata.name for sa in sandbox.kube(EAST).list_namespaced_service_account("kubecost").items}
    assert {"kubecost-finopsagent", "kubecost-cluster-controller"} <= accounts
    assert not {"kubecost-cost-analyzer-amp", "kubecost-prometheus-server-amp"} & accounts
    report = json.loads(sandbox.ampctl("doctor", *contexts(sandbox, *CLUSTERS), "-o", "json", "--wait", "60s",
                                       cwd=work).stdout)  # fmt: skip
    assert report["ok"], [(c["cluster"], [k for k in c["checks"] if k["status"] == "fail"]) for c in report["clusters"]]


def ampctl_env(sandbox: Sandbox) -> dict[str, str]:
    """The environment Sandbox.ampctl runs ampctl in, for a run started in the background."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(sandbox.env)
    env["PATH"] = f"{TOOLS}{os.pathsep}{env.get('PATH', '')}"
    env["AMPCTL_HELM"] = str(TOOLS / "helm3")
    return env


def sandbox_clock(sandbox: Sandbox, advance: str) -> None:
    ok(sandbox.ampctl("sandbox", "clock", "advance", advance, "--state-dir", str(sandbox.state_dir), "-o", "json"))


def test_retire_amp_once_the_fleet_is_on_3x(fleet: tuple[Sandbox, Path]) -> None:
    sandbox, work = fleet
    if versions(sandbox) != dict.fromkeys(CLUSTERS, "3.2.1"):
        pytest.skip("needs the fleet moved to 3.x by the test before")
    status = ok(sandbox.ampctl("status", *contexts(sandbox, *CLUSTERS), "-o", "json"))
    assert status["upgrade"]["state"] == "done" and status["upgrade"]["target"] == "3.2.1", status["upgrade"]
    ok(sandbox.ampctl("teardown", "--all", "--retire-amp", "--yes", cwd=work))
    assert sandbox.client("amp").list_workspaces()["workspaces"] == []  # ampctl made it
    roles = {r["RoleName"] for r in sandbox.client("iam").list_roles()["Roles"]}
    assert not {r for r in roles if r.endswith(("-cost-analyzer", "-prometheus-server"))}, roles
    assert {f"kubecost-{c}-finops-agent" for c in CLUSTERS} <= roles
    # The fleet is now a 3.x fleet of its bucket: doctor is green without leftovers, and add-cluster follows it.
    report = json.loads(sandbox.ampctl("doctor", *contexts(sandbox, *CLUSTERS), "-o", "json", "--wait", "60s",
                                       cwd=work).stdout)  # fmt: skip
    assert report["ok"]
    leftovers = [k for c in report["clusters"] for k in c["checks"] if k["id"] == "kubecost3.leftovers"]
    assert [k["status"] for k in leftovers] == ["pass"] * 3, leftovers
    again = sandbox.ampctl("add-cluster", *contexts(sandbox, EAST), "--yes", cwd=work)
    assert again.returncode == 0 and "nothing to change" in again.stderr, again.stderr


def test_one_upgrade_at_a_time_recorded_on_a_3x_fleets_bucket(fleet: tuple[Sandbox, Path]) -> None:
    from ampctl.upgrade.record import Holder, Progress

    sandbox, work = fleet
    if sandbox.client("amp").list_workspaces()["workspaces"]:
        pytest.skip("needs the fleet retired from AMP by the test before")
    (bucket,) = [b["Name"] for b in sandbox.client("s3").list_buckets()["Buckets"]]
    holder = Holder(sandbox.client("s3"), bucket=bucket)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    elsewhere = {"ampctl/upgrade-run": "build-host-7/4242/0badf00d upgrade"}
    holder.write(Progress("3.2.1", "3.2.1", "running", "", "", now).tags() | elsewhere)
    sandbox.clear_aws_calls()
    busy = upgrade(sandbox, work)
    assert busy.returncode == 1 and "another ampctl upgrade of this fleet is running: build-host-7/4242" in busy.stderr
    assert sandbox.aws_mutations() == []
    # Its heartbeat stopped long ago (a run killed on another machine): this run takes the upgrade over and ends it.
    holder.write({"ampctl/upgrade-at": "2026-01-01T00:00:00Z"})
    taken = upgrade(sandbox, work, "-o", "json")
    assert taken.returncode == 0, taken.stderr
    assert json.loads(taken.stdout)["progress"]["state"] == "done"
    tags = holder.read()
    assert tags["ampctl/upgrade-state"] == "done" and tags["ampctl/chart-line"] == "3.x"
    assert tags["ampctl/upgrade-run"] != elsewhere["ampctl/upgrade-run"]
