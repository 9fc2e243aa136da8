"""Whole bootstrap / add-cluster / teardown cycles with the AWS emulator throttling, failing and losing answers."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Sandbox
from tests.reliability.world import aws_calls, deployed, down, gone, inventory, set_faults, up


def test_a_fleet_cycle_under_faults_ends_clean(clean: Sandbox, fleet: Path) -> None:
    set_faults(clean, throttle_rate=0.2, error_rate=0.05, lost_rate=0.03, seed=7)
    for proc in up(clean, fleet.parent, fleet):
        assert proc.returncode == 0, proc.stderr
    assert deployed(inventory(clean)) == []
    proc = down(clean, fleet.parent, fleet)
    assert proc.returncode == 0, proc.stderr
    assert gone(inventory(clean)) == []
    faults = {c["fault"] for c in aws_calls(clean)}
    assert {"throttle", "error", "lost"} <= faults
