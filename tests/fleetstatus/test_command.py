"""`ampctl status` on the sandbox: all three reporting, a stopped feeder shows as stale, a stranger as not in fleet."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Sandbox, ok
from tests.fleet.fleetfile import EAST, PRIMARY, WEST, bring_up

FLEET = (PRIMARY, EAST, WEST)


@pytest.fixture(scope="module")
def fleet_file(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = bring_up(sandbox, tmp_path_factory.mktemp("status"))
    # The feeders' first rounds: every cluster reporting, or the tests below say what is not.
    until(lambda: status(sandbox, path), lambda found: all(row["state"] == "reporting" for row in found.values()))
    return path


def status(sandbox: Sandbox, path: Path, *extra: str) -> dict[str, dict]:
    return by_cluster(ok(sandbox.ampctl("status", "-F", str(path), *extra, "-o", "json")))


def until(read: Callable[[], dict[str, dict]], done: Callable[[dict[str, dict]], bool], seconds: float = 30) -> dict:
    """Read until `done` holds or the deadline passes; the last reading either way."""
    deadline = time.monotonic() + seconds
    found = read()
    while not done(found) and time.monotonic() < deadline:
        time.sleep(0.5)
        found = read()
    return found


def by_cluster(document: dict) -> dict[str, dict]:
    return {c["cluster"]: c for c in document["clusters"]}


def test_all_three_report_in_one_table_and_in_json(sandbox: Sandbox, fleet_file: Path) -> None:
    sandbox.clear_aws_calls()
    found = by_cluster(ok(sandbox.ampctl("status", "-F", str(fleet_file), "-o", "json")))
    assert set(found) == {PRIMARY, EAST, WEST}
    for cluster in (PRIMARY, EAST, WEST):
        row = found[cluster]
        assert row["state"] == "reporting", row
        assert row["release_status"] == "deployed" and row["chart_version"]
        assert row["roles"] == {"cost-analyzer": True, "prometheus-server": True}
        assert row["service_accounts"] == {"cost-analyzer": True, "prometheus-server": True}
        assert row["identity"] == "irsa" and row["differs"] == []
        assert row["federated"] and row["etl_objects"] is not None
        assert row["last_sample_age"] < 60 and row["errors"] == []
    table = sandbox.ampctl("status", "-F", str(fleet_file))
    assert table.returncode == 0, table.stderr
    lines = [line for line in table.stdout.splitlines() if line.strip().startswith(("│ sandbox", "┃ sandbox"))]
    assert len(lines) == 3 and all("reporting" in line and "deployed" in line for line in lines), table.stdout
    by_context = by_cluster(ok(sandbox.ampctl("status", "--context", sandbox.context(EAST), "-o", "json")))
    assert by_context[EAST]["state"] == "reporting"
    assert by_context[PRIMARY]["state"] == "not in fleet"
    assert sandbox.aws_mutations() == []


def test_stopped_feeder_is_stale_and_a_stranger_is_not_in_fleet(sandbox: Sandbox, fleet_file: Path) -> None:
    first = ok(sandbox.ampctl("status", "-F", str(fleet_file), "-o", "json"))
    control = sandbox.state.control_url
    sandbox._post(f"{control}/_sandbox/feeder", {"cluster": WEST, "paused": True})
    try:
        sandbox._post(
            f"{control}/_sandbox/writer",
            {"cluster_id": "stranger", "workspace_id": first["workspace_id"], "region": sandbox.state.region},
        )
        found = until(
            lambda: status(sandbox, fleet_file, "--stale-after", "3s"),
            lambda found: found[WEST]["state"] == "stale" and "stranger" in found,
        )
    finally:
        sandbox._post(f"{control}/_sandbox/feeder", {"cluster": WEST, "paused": False})
    assert found[WEST]["state"] == "stale", found[WEST]
    assert found[PRIMARY]["state"] == found[EAST]["state"] == "reporting"
    assert found["stranger"]["state"] == "not in fleet" and not found["stranger"]["in_fleet"]
    assert json.dumps(found)  # plain JSON all the way down


def test_a_recorded_upgrade_shows_each_cluster_on_its_target_or_waiting(sandbox: Sandbox, fleet_file: Path) -> None:
    """The upgrade recorded on the workspace shows in the title and per cluster; while it is under way a cluster on
    its origin or target is no difference from the fleet's shape, however the shape's version reads."""
    from ampctl.fleetshape import VERSION_TAG
    from ampctl.upgrade.record import RUNNING, STOPPED, TAGS, Holder, Progress

    first = ok(sandbox.ampctl("status", "-F", str(fleet_file), "-o", "json"))
    assert first["upgrade"] is None
    version, amp = first["fleet"]["chart_version"], sandbox.client("amp")
    holder = Holder(amp, arn=amp.describe_workspace(workspaceId=first["workspace_id"])["workspace"]["arn"])
    try:
        # Every cluster waits for the move to 2.9.7: none differs, none on the target.
        holder.write(Progress("2.9.7", version, STOPPED, wave="1/3", note="doctor failed on sandbox-east").tags())
        document = ok(sandbox.ampctl("status", "-F", str(fleet_file), "-o", "json"))
        assert document["upgrade"]["summary"] == (f"upgrade {version} -> 2.9.7 stopped, waves done 1/3: doctor failed "
                                                  "on sandbox-east")  # fmt: skip
        assert document["upgrade"]["holder"] == f"workspace {first['workspace_id']}"
        assert document["upgrade"]["under_way"]
        rows = by_cluster(document)
        assert {c: (rows[c]["on_target"], rows[c]["upgrade"], rows[c]["differs"]) for c in FLEET} == {
            c: (False, "waiting for the upgrade", []) for c in FLEET
        }
        assert all(r["upgrade"] is None for c, r in rows.items() if c not in FLEET)  # a stranger is not upgraded
        # The shape still reads the origin while every cluster is on the target: expected, not a difference.
        amp.tag_resource(resourceArn=holder.arn, tags={VERSION_TAG: "2.8.6"})
        holder.write(Progress(version, "2.8.6", RUNNING, wave="2/3").tags())
        rows = status(sandbox, fleet_file)
        assert {c: (rows[c]["on_target"], rows[c]["upgrade"], rows[c]["differs"]) for c in FLEET} == {
            c: (True, "on target", []) for c in FLEET
        }
        table = sandbox.ampctl("status", "-F", str(fleet_file))
        assert f"upgrade 2.8.6 -> {version} running, waves done 2/3" in " ".join(table.stdout.split()), table.stdout
        assert "UPGRADE" in table.stdout and table.stdout.count("on target") == 3, table.stdout
        # Without the upgrade, the same skew is a difference again.
        holder.remove(TAGS)
        rows = status(sandbox, fleet_file)
        assert rows[EAST]["differs"] == [f"chart {version}, the fleet's is 2.8.6"] and rows[EAST]["upgrade"] is None
    finally:
        holder.remove(TAGS)
        amp.tag_resource(resourceArn=holder.arn, tags={VERSION_TAG: version})
