"""`teardown --retire-amp` on the sandbox: a 2.8.7 federated fleet (primary and one agent) moved to 3.2.1 with
bootstrap/add-cluster under a recorded upgrade to 3.x; the AMP side goes, the 3.x fleet stays.

Refused with no AWS change: a fleet never moved to 3.x, a cluster still on 2.x, an upgrade not done. A dry run
changes nothing; the retire runs under throttling, 5xx and lost answers (a re-run finishes it) and a last re-run has
nothing to do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REAL_CHARTS, Sandbox, ok
from tests.reliability.world import EAST, PRIMARY, aws_calls, fleet_file, set_faults

pytestmark = pytest.mark.skipif(not REAL_CHARTS.is_dir(), reason="the real charts are not beside the repository")
AMP_SAS = {"kubecost-cost-analyzer-amp", "kubecost-prometheus-server-amp"}


@pytest.fixture(scope="module")
def world(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, Path]]:
    """The 2.x fleet, set up in a reset sandbox; reset again after (the moved fleet's bucket is the account's
    default, which the other modules' fleets use)."""
    set_faults(sandbox)
    sandbox.reset()
    work = tmp_path_factory.mktemp("retire")
    fleet = fleet_file(sandbox, work, (EAST,))
    for command in ("bootstrap", "add-cluster"):
        ok(sandbox.ampctl(command, "-F", str(fleet), "--yes", cwd=work, timeout=600))
    try:
        yield sandbox, fleet
    finally:
        set_faults(sandbox)
        sandbox.reset()


def retire(sandbox: Sandbox, fleet: Path, *more: str) -> tuple[int, str, str]:
    proc = sandbox.ampctl("teardown", "-F", str(fleet), "--retire-amp", "--yes", *more, cwd=fleet.parent, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, " ".join(proc.stderr.split())


def refused(sandbox: Sandbox, fleet: Path, reason: str, *more: str) -> None:
    sandbox.clear_aws_calls()
    code, _, err = retire(sandbox, fleet, *more)
    assert code == 1 and reason in err, err
    assert sandbox.aws_mutations() == []


def record(sandbox: Sandbox, state: str) -> None:
    from ampctl.upgrade.record import Holder, Progress

    amp = sandbox.client("amp")
    arn = amp.list_workspaces()["workspaces"][0]["arn"]
    Holder(amp, arn=arn).write(Progress(target="3.2.1", origin="2.8.7", state=state).tags())


def move(sandbox: Sandbox, fleet: Path, command: str, *more: str) -> None:
    ok(sandbox.ampctl(command, "-F", str(fleet), "--kubecost-version", "3.2.1", "--yes", *more, cwd=fleet.parent,
                      timeout=600))  # fmt: skip


def roles(sandbox: Sandbox) -> set[str]:
    return {r["RoleName"] for r in sandbox.client("iam").list_roles()["Roles"] if r["RoleName"].startswith("kubecost-")}


def test_retire_amp_after_the_move_to_3x(world: tuple[Sandbox, Path]) -> None:
    sandbox, fleet = world
    refused(sandbox, fleet, "the fleet was never moved to Kubecost 3.x")
    record(sandbox, "done")
    move(sandbox, fleet, "bootstrap")
    refused(sandbox, fleet, f"{EAST} still runs Kubecost 2.8.7 on AMP")
    move(sandbox, fleet, "add-cluster")
    record(sandbox, "running")
    refused(sandbox, fleet, "records upgrade 2.8.7 -> 3.2.1 running")
    record(sandbox, "done")
    (fleet.parent / "alone").mkdir()
    alone = fleet_file(sandbox, fleet.parent / "alone", ())  # the same fleet's file, without the agent
    refused(sandbox, alone, f"cluster(s) {EAST} outside the selection still have their AMP roles")
    refused(sandbox, fleet, "--retire-amp keeps the 3.x fleet (its bucket included)", "--delete-bucket")
    values = fleet.parent / ".ampctl" / EAST
    assert (values / "04-cluster-values.yaml").exists() and (values / "02-cluster-values.yaml").exists()
    before = roles(sandbox)
    amp_roles = {f"kubecost-{c}-{p}" for c in (PRIMARY, EAST) for p in ("cost-analyzer", "prometheus-server")}
    assert amp_roles <= before

    sandbox.clear_aws_calls()
    code, _, err = retire(sandbox, fleet, "--dry-run")
    assert code == 0 and "dry run" in err and sandbox.aws_mutations() == [], err
    assert f"IAM role kubecost-{EAST}-cost-analyzer" in err and "recording rules namespace" in err

    sandbox.clear_aws_calls()
    # Every delete (IAM, AMP) may be throttled, fail with a 5xx, or be made with its answer lost.
    set_faults(sandbox, throttle_rate=0.25, error_rate=0.25, lost_rate=0.25, seed=3, only="*:Delete*")
    code, _, err = retire(sandbox, fleet)
    faults = {c["fault"] for c in aws_calls(sandbox) if c["fault"]}
    set_faults(sandbox)
    assert faults == {"throttle", "error", "lost"}, faults
    if code != 0:  # the retries ran out: a re-run finishes the job
        code, _, err = retire(sandbox, fleet)
    assert code == 0, err

    s3, iam = sandbox.client("s3"), sandbox.client("iam")
    live = [w for w in sandbox.client("amp").list_workspaces()["workspaces"] if w["status"]["statusCode"] != "DELETING"]
    assert live == []
    assert roles(sandbox) == before - amp_roles
    assert {f"kubecost-{PRIMARY}-aggregator", f"kubecost-{EAST}-finops-agent"} <= roles(sandbox)
    bucket = f"kubecost-etl-{sandbox.state.account}-{sandbox.state.region}"
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    policies = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
    assert {f"kubecost-s3-federated-policy-{c}" for c in (PRIMARY, EAST)} <= policies
    for cluster in (PRIMARY, EAST):
        accounts = {sa.metadata.name for sa in sandbox.kube(cluster).list_namespaced_service_account("kubecost").items}
        assert not accounts & AMP_SAS and "kubecost-finopsagent" in accounts, accounts
    assert not (values / "04-cluster-values.yaml").exists() and (values / "02-cluster-values.yaml").exists()

    sandbox.clear_aws_calls()
    result = ok(sandbox.ampctl("teardown", "-F", str(fleet), "--retire-amp", "--yes", "-o", "json", cwd=fleet.parent))
    assert sandbox.aws_mutations() == []
    assert [c["cluster"] for c in result["clusters"]] == [PRIMARY, EAST]
    assert not any(s["action"] == "delete" for c in result["clusters"] for s in c["steps"])
