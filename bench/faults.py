"""Benchmark: ampctl's unhappy paths on a sandbox of its own.

Prints
  - fault rounds clean: `bootstrap -F` + `add-cluster -F` (3 clusters, federated) + `teardown -F
    --delete-workspace --delete-bucket --force`, with the AWS emulator throttling, failing (5xx) and
    losing answers (the change is made, the client gets a 500) at the printed rates; a round is clean
    when every command exits 0 and listing the emulators shows the fleet complete after the way up
    and nothing of ampctl's left after teardown;
  - crash-resume rounds clean: `bootstrap -F` killed (-9, with its helm) at a random moment, then
    run again once; clean when the re-run exits 0 and the primary is complete;
  - concurrency rounds clean: two runs at once, the second started a random 0–2 s after the first, for each
    pair of tests/reliability/pairs.py; clean when each run succeeds or refuses cleanly (exit 1, no
    traceback) and one re-run of the fleet then passes doctor on every cluster;
  - bad inputs rejected with zero AWS and Kubernetes calls;
  - retries spent: AWS answers that were faults (each one cost the client a retry).

    .venv/bin/python bench/faults.py [--rounds 20] [--crash-rounds 20] [--pair-rounds 20]
                                     [--throttle 0.2 --error 0.05 --lost 0.03]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ampctl.sandbox import manager  # noqa: E402
from ampctl.sandbox.config import SandboxConfig  # noqa: E402
from tests.conftest import Sandbox  # noqa: E402
from tests.reliability import pairs  # noqa: E402
from tests.reliability import world as w  # noqa: E402
from tests.reliability.test_bad_input import CORPUS, FILES  # noqa: E402


def fault_round(sandbox: Sandbox, work: Path, seed: int, rates: dict[str, float]) -> tuple[bool, str, int]:
    """One cycle on what the previous one left (nothing, when it was clean): the same alias is created,
    deleted and created again round after round, as a user would."""
    fleet = w.fleet_file(sandbox, work)
    sandbox.clear_aws_calls()
    w.set_faults(sandbox, seed=seed, **rates)
    why, faults = "", 0
    for proc in w.up(sandbox, work, fleet):
        faults += sum(1 for c in w.aws_calls(sandbox) if c["fault"])
        sandbox.clear_aws_calls()
        if proc.returncode != 0:
            why = why or f"up exit {proc.returncode}: {proc.stderr.strip().splitlines()[-2:]}"
    why = why or "; ".join(w.deployed(w.inventory(sandbox)))
    proc = w.down(sandbox, work, fleet)
    faults += sum(1 for c in w.aws_calls(sandbox) if c["fault"])
    if proc.returncode != 0:
        why = why or f"teardown exit {proc.returncode}: {proc.stderr.strip().splitlines()[-2:]}"
    why = why or "; ".join(w.gone(w.inventory(sandbox)))
    w.set_faults(sandbox)
    return not why, why, faults


def crash_round(sandbox: Sandbox, work: Path, rng: random.Random, span: float) -> tuple[bool, str, float]:
    sandbox.reset()
    fleet = w.fleet_file(sandbox, work)
    delay = rng.uniform(0.2, span)
    started = time.monotonic()
    proc = w.spawn(sandbox, work, "bootstrap", "-F", str(fleet))
    killed = w.kill_when(proc, lambda: time.monotonic() - started >= delay, deadline=600)
    if not killed:
        return True, "finished before the kill", delay
    again = sandbox.ampctl("bootstrap", "-F", str(fleet), "--yes", cwd=work, timeout=600)
    if again.returncode != 0:
        return False, f"re-run exit {again.returncode}: {again.stderr.strip().splitlines()[-2:]}", delay
    world = w.inventory(sandbox)
    kube = world["kube"][w.PRIMARY]
    problems = []
    if [s for s in world["workspaces"] if s != "DELETING"] != ["ACTIVE"]:
        problems.append(f"workspaces {world['workspaces']}")
    if len(world["roles"]) != 2 or len(world["policies"]) != 1 or len(world["buckets"]) != 1:
        problems.append(f"aws {world['roles']} {world['policies']} {world['buckets']}")
    if "helm/kubecost:deployed" not in kube or any(":pending" in o for o in kube):
        problems.append(f"kube {kube}")
    return not problems, "; ".join(problems), delay


def concurrency(sandbox: Sandbox, work: Path, rounds: int, rng: random.Random) -> dict[str, int]:
    """Rounds of every pair of runs at once; how many of each were clean."""
    clean: dict[str, int] = {}
    for pair in pairs.PAIRS:
        print(f"concurrency rounds: {pair}:")
        clean[pair] = 0
        for n in range(rounds):
            started = time.monotonic()
            why, ends, offset = pairs.round_of(sandbox, work, pair, rng)
            clean[pair] += not why
            result = "clean" if not why else "FAILED " + why
            took = time.monotonic() - started
            print(f"  round {n + 1:2d}: second run {offset:.1f}s later, {', '.join(ends)}: {result} ({took:.0f}s)")
    return clean


def bad_inputs(sandbox: Sandbox, work: Path) -> tuple[int, int]:
    for name, text in FILES.items():
        (work / name).write_text(text)
    rejected = 0
    for args, _said in CORPUS:
        sandbox.clear_aws_calls()
        before = sandbox.kube_mutations()
        command = [args[0]] if args[0] == "teardown" else ["bootstrap"]
        rest = args[1:] if args[0] == "teardown" else args
        proc = sandbox.ampctl(*command, "--context", sandbox.context(w.PRIMARY), *rest, "--yes", cwd=work)
        if proc.returncode == 1 and not w.aws_calls(sandbox) and sandbox.kube_mutations() == before:
            rejected += 1
        else:
            print(f"  not rejected cleanly: {' '.join(args)} (exit {proc.returncode})")
    return rejected, len(CORPUS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--crash-rounds", type=int, default=20)
    parser.add_argument("--pair-rounds", type=int, default=20, help="rounds of each pair of runs at once")
    parser.add_argument("--throttle", type=float, default=0.2)
    parser.add_argument("--error", type=float, default=0.05)
    parser.add_argument("--lost", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rates = {"throttle_rate": args.throttle, "error_rate": args.error, "lost_rate": args.lost}
    state_dir = Path(tempfile.mkdtemp(prefix="ampctl-bench-faults-"))
    prometheus = shutil.which("prometheus") or "prometheus"
    manager.up(SandboxConfig(state_dir=state_dir, feeder_interval=0.5, prometheus_bin=prometheus))
    try:
        sandbox = Sandbox(state_dir)
        work = state_dir / "work"
        work.mkdir()
        rates_text = f"{args.throttle:.0%} throttling, {args.error:.0%} 5xx, {args.lost:.0%} lost answers"
        print(f"fault rounds ({rates_text}):")
        clean = retries = 0
        sandbox.reset()
        for n in range(args.rounds):
            started = time.monotonic()
            ok, why, faults = fault_round(sandbox, work, args.seed + n, rates)
            if not ok:
                sandbox.reset()  # the next round starts from an empty sandbox
            clean += ok
            retries += faults
            print(f"  round {n + 1:2d}: {'clean' if ok else 'FAILED ' + why} ({faults} retries, "
                  f"{time.monotonic() - started:.0f}s)", flush=True)  # fmt: skip
        print("crash-resume rounds (bootstrap -F killed with -9 at a random moment, then re-run):")
        rng = random.Random(args.seed)
        sandbox.reset()
        started = time.monotonic()
        first = sandbox.ampctl("bootstrap", "-F", str(w.fleet_file(sandbox, work)), "--yes", cwd=work)
        span = max(time.monotonic() - started, 1.0) if first.returncode == 0 else 10.0
        crash_clean = 0
        for n in range(args.crash_rounds):
            ok, why, delay = crash_round(sandbox, work, rng, span)
            crash_clean += ok
            print(f"  round {n + 1:2d}: killed at {delay:4.1f}s of ~{span:.0f}s: {'clean' if ok else 'FAILED ' + why}",
                  flush=True)  # fmt: skip
        pair_clean = concurrency(sandbox, work, args.pair_rounds, random.Random(args.seed))
        sandbox.reset()
        rejected, total = bad_inputs(sandbox, work)
        print()
        print(f"rounds clean under faults ({rates_text}): {clean}/{args.rounds}")
        print(f"crash-resume rounds clean: {crash_clean}/{args.crash_rounds}")
        for pair, count in pair_clean.items():
            print(f"concurrency rounds clean, {pair}: {count}/{args.pair_rounds}")
        print(f"bad inputs rejected with zero AWS and Kubernetes calls: {rejected}/{total}")
        print(f"retries spent under faults: {retries} ({retries / max(args.rounds, 1):.0f} per round)")
        pairs_ok = all(count == args.pair_rounds for count in pair_clean.values())
        return 0 if (clean, crash_clean, rejected) == (args.rounds, args.crash_rounds, total) and pairs_ok else 1
    finally:
        manager.down(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
