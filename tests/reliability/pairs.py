"""Two ampctl runs at once, the second started a random 0–2 s after the first, as two operators (or a CI job and an
operator) do. Each run must end in success or in a clean refusal (exit 1, one line, no traceback); then at most
one re-run brings every cluster to doctor green.

Shared by tests/reliability/test_races.py (one round of each pair) and bench/faults.py (many rounds).
"""

from __future__ import annotations

import random
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Sandbox
from tests.reliability import world as w

Setup = Callable[[Sandbox, Path, Path], None]


def _fleet(sandbox: Sandbox, work: Path) -> Path:
    return w.fleet_file(sandbox, work)


def _primary_only(sandbox: Sandbox, work: Path, fleet: Path) -> None:
    done = w.run(sandbox, work, "bootstrap", "-F", str(fleet))
    assert done.returncode == 0, done.stderr


def _primary_and_east(sandbox: Sandbox, work: Path, fleet: Path) -> None:
    _primary_only(sandbox, work, fleet)
    done = w.run(sandbox, work, "add-cluster", "--context", sandbox.context(w.EAST))
    assert done.returncode == 0, done.stderr


def _nothing(sandbox: Sandbox, work: Path, fleet: Path) -> None:
    return None


def _ctx(sandbox: Sandbox, *clusters: str) -> list[str]:
    return [arg for cluster in clusters for arg in ("--context", sandbox.context(cluster))]


# name -> (what exists before, the two commands)
PAIRS: dict[str, tuple[Setup, Callable[[Sandbox, Path], tuple[list[str], list[str]]]]] = {
    "two bootstraps of one primary": (
        _nothing,
        lambda s, f: (["bootstrap", "-F", str(f)], ["bootstrap", "-F", str(f)]),
    ),
    "bootstrap of the primary with add-cluster of two others": (
        _nothing,
        lambda s, f: (["bootstrap", "-F", str(f)], ["add-cluster", "-F", str(f)]),
    ),
    "add-cluster with teardown of the same cluster": (
        _primary_and_east,
        lambda s, f: (["teardown", *_ctx(s, w.EAST)], ["add-cluster", *_ctx(s, w.EAST, w.WEST)]),
    ),
    "two add-clusters of different clusters sharing the bucket": (
        _primary_only,
        lambda s, f: (["add-cluster", *_ctx(s, w.EAST)], ["add-cluster", *_ctx(s, w.WEST)]),
    ),
}
BUSY = "is being changed by another ampctl run"


def clean_end(code: int, stderr: str) -> str:
    """Why a run's end is not success or a clean refusal ('' when it is)."""
    if code == 0:
        return ""
    if code != 1 or "Traceback" in stderr or "unexpected error" in stderr:
        return f"exit {code}: {stderr.strip().splitlines()[-3:]}"
    return ""


def round_of(sandbox: Sandbox, work: Path, pair: str, rng: random.Random) -> tuple[str, list[str], float]:
    """One round from a reset sandbox: (why it is not clean or '', each run's end, the offset)."""
    setup, commands = PAIRS[pair]
    sandbox.reset()
    fleet = _fleet(sandbox, work)
    setup(sandbox, work, fleet)
    first, second = commands(sandbox, fleet)
    offset = rng.uniform(0.0, 2.0)
    procs = [w.spawn(sandbox, work, *first)]
    time.sleep(offset)
    procs.append(w.spawn(sandbox, work, *second))
    ends = []
    why = ""
    for proc in procs:
        _, stderr = proc.communicate(timeout=600)
        said = " ".join(stderr.strip().splitlines()[-2:])[:200]
        ends.append(f"exit {proc.returncode}" + (f" ({said})" if proc.returncode else ""))
        why = why or clean_end(proc.returncode, stderr)
    if why:
        return why, ends, offset
    return _rerun_to_green(sandbox, work, fleet), ends, offset


def _rerun_to_green(sandbox: Sandbox, work: Path, fleet: Path) -> str:
    """One re-run of the fleet (bootstrap, then add-cluster), then doctor on every cluster."""
    for proc in w.up(sandbox, work, fleet):
        if proc.returncode != 0:
            return f"re-run exit {proc.returncode}: {proc.stderr.strip().splitlines()[-2:]}"
    doctor = doctor_fleet(sandbox, work, fleet)
    return "" if doctor.returncode == 0 else f"doctor exit {doctor.returncode}: {doctor.stdout[-600:]}"


def doctor_fleet(sandbox: Sandbox, work: Path, fleet: Path) -> subprocess.CompletedProcess[str]:
    return sandbox.ampctl("doctor", "-F", str(fleet), "--wait", "2m", cwd=work, timeout=300)
