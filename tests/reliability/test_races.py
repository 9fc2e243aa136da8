"""Runs that meet another run: the cluster's Lease is taken before the plan reads the cluster, --wait-lock waits
for it, a read that races with another run's change is read again, and two runs at once end cleanly."""

from __future__ import annotations

import random
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.conftest import Sandbox
from tests.reliability import pairs
from tests.reliability.test_concurrent import BUSY, _lease, _leases
from tests.reliability.world import EAST, PRIMARY, aws_calls, set_faults, spawn

RACED = "appeared or vanished between two reads, twice: another ampctl run (or a teardown) is changing it"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_the_lease_is_taken_before_the_plan_reads_anything_of_the_cluster(clean: Sandbox, fleet: Path) -> None:
    """Defect: the plan was made (IAM, S3, the release read) before the Lease; two plans raced."""
    _lease(clean, "elsewhere/4242/abcd (bootstrap)", datetime.now(timezone.utc))
    clean.clear_aws_calls()
    refused = clean.ampctl("bootstrap", "-F", str(fleet), "--yes", cwd=fleet.parent)
    assert refused.returncode == 1
    assert f"cluster {PRIMARY} {BUSY}: elsewhere/4242/abcd (bootstrap)" in _one_line(refused.stderr)
    assert "--wait-lock DURATION" in _one_line(refused.stderr)
    # only what finds the cluster and its workspace, read while the Lease is asked for: no step read anything
    assert {c["service"] for c in aws_calls(clean)} <= {"sts", "eks", "aps"}, aws_calls(clean)
    assert not [c for c in aws_calls(clean) if c["action"] == "ListPodIdentityAssociations"]


def test_wait_lock_waits_for_the_other_run_then_goes_on(clean: Sandbox, fleet: Path) -> None:
    _lease(clean, "elsewhere/4242/abcd (bootstrap)", datetime.now(timezone.utc))
    short = clean.ampctl("bootstrap", "-F", str(fleet), "--yes", "--wait-lock", "1s", cwd=fleet.parent)
    assert short.returncode == 1
    assert f"{BUSY}: elsewhere/4242/abcd (bootstrap)" in _one_line(short.stderr)
    assert "(waited 1s)" in short.stderr

    waiting = spawn(clean, fleet.parent, "bootstrap", "-F", str(fleet), "--wait-lock", "1m")
    assert waiting.stderr is not None
    seen = ""
    while "waiting for Lease" not in seen:  # it waits, saying so
        line = waiting.stderr.readline()
        assert line, f"ended without waiting: {seen}"
        seen += line
    assert f"{PRIMARY}: waiting for Lease kube-system/ampctl-kubecost" in _one_line(seen)
    time.sleep(1.5)
    assert waiting.poll() is None  # still waiting
    _leases(clean).delete_namespaced_lease("ampctl-kubecost", "kube-system")  # the other run ends
    out, rest = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, seen + rest
    assert f"✓ {PRIMARY}: " in out


@pytest.mark.parametrize("bad", ["soon", "5", "-1m"])
def test_a_bad_wait_lock_is_refused_before_any_call(clean: Sandbox, fleet: Path, bad: str) -> None:
    clean.clear_aws_calls()
    proc = clean.ampctl(
        "add-cluster", "--context", clean.context(EAST), "--yes", f"--wait-lock={bad}", cwd=fleet.parent
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"invalid --wait-lock {bad!r}" in proc.stderr
    assert aws_calls(clean) == []


@pytest.mark.parametrize(
    ("call", "what"),
    [("s3:GetBucketTagging", "S3 bucket kubecost-etl-"), ("iam:GetPolicyVersion", "IAM policy kubecost-s3-")],
)
def test_a_read_that_races_is_read_again(clean: Sandbox, fleet: Path, call: str, what: str) -> None:
    """Defect: a resource another run created or deleted between two of the plan's reads was exit 3."""
    done = clean.ampctl("bootstrap", "-F", str(fleet), "--yes", cwd=fleet.parent)
    assert done.returncode == 0, done.stderr
    set_faults(clean, vanish_rate=1.0, only=f"*/{call}", count=1)  # gone for one read, as in a race
    again = clean.ampctl("bootstrap", "-F", str(fleet), "--yes", cwd=fleet.parent)
    assert again.returncode == 0, again.stderr
    assert "nothing to change" in again.stderr
    assert [c["fault"] for c in aws_calls(clean) if f"{c['service']}:{c['action']}" == call].count("vanish") == 1
    set_faults(clean, vanish_rate=1.0, only=f"*/{call}")  # still contradictory when read again
    refused = clean.ampctl("bootstrap", "-F", str(fleet), "--yes", cwd=fleet.parent)
    assert refused.returncode == 1, refused.stderr
    assert "Traceback" not in refused.stderr and "unexpected error" not in refused.stderr
    assert what in refused.stderr and RACED in _one_line(refused.stderr)


def test_something_gone_while_applying_is_one_line_and_a_rerun_repairs(clean: Sandbox, fleet: Path) -> None:
    """Defect: an IAM entity deleted by another run between the plan and the change was exit 3."""
    done = clean.ampctl("bootstrap", "-F", str(fleet), "--yes", cwd=fleet.parent)
    assert done.returncode == 0, done.stderr
    set_faults(clean, vanish_rate=1.0, only="*/iam:AttachRolePolicy", count=1)
    added = clean.ampctl("add-cluster", "--context", clean.context(EAST), "--yes", cwd=fleet.parent)
    assert added.returncode == 1, added.stderr
    assert "Traceback" not in added.stderr and "unexpected error" not in added.stderr
    said = _one_line(added.stderr)
    assert "AttachRolePolicy" in said and "vanished while ampctl was using it" in said
    set_faults(clean)
    again = clean.ampctl("add-cluster", "--context", clean.context(EAST), "--yes", cwd=fleet.parent)
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("pair", list(pairs.PAIRS))
def test_two_runs_at_once_end_cleanly_and_one_rerun_is_green(clean: Sandbox, tmp_path: Path, pair: str) -> None:
    why, ends, offset = pairs.round_of(clean, tmp_path, pair, random.Random(sum(map(ord, pair))))
    assert not why, f"{pair} (second run {offset:.1f}s later: {ends}): {why}"
