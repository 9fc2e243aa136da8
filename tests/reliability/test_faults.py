"""Whole bootstrap / add-cluster / teardown cycles with the AWS emulator throttling, failing and losing answers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.conftest import Sandbox
from tests.reliability.world import EAST, aws_calls, deployed, down, fleet_file, gone, inventory, set_faults, up


def test_a_fleet_cycle_under_faults_ends_clean(clean: Sandbox, tmp_path: Path) -> None:
    fleet = fleet_file(clean, tmp_path, (EAST,))
    set_faults(clean, throttle_rate=0.2, error_rate=0.05, lost_rate=0.03, seed=1)
    faults: Counter[str] = Counter()
    for proc in up(clean, fleet.parent, fleet):
        assert proc.returncode == 0, proc.stderr
        faults.update(c["fault"] for c in aws_calls(clean) if c["fault"])
        clean.clear_aws_calls()
    assert deployed(inventory(clean), clusters=2) == []
    proc = down(clean, fleet.parent, fleet)
    assert proc.returncode == 0, proc.stderr
    faults.update(c["fault"] for c in aws_calls(clean) if c["fault"])
    assert gone(inventory(clean)) == []
    assert set(faults) == {"throttle", "error", "lost"}, faults
