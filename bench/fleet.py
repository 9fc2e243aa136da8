"""Benchmark: fleets. add-cluster over N clusters at --parallel 1 and 16, doctor and status over a fleet.

On one sandbox of 1 + N clusters with the added latency per AWS request (default 100 ms):
- `add-cluster --federated` on the N additional clusters at `--parallel 1`, then (world reset) at
  `--parallel 16`: the speed-up, judged against 0.8 x min(N, 16);
- `doctor --all` and `status --all` over the whole fleet (goals: <= 3 s and <= 1.5 s at 100 ms for 20);
- `doctor` on one cluster, on a sandbox without added latency (goal: <= 1 s).

Figures only, no asserts.

    .venv/bin/python bench/fleet.py [--clusters 20] [--latency 100]
"""

from __future__ import annotations

import argparse

import common

PRIMARY = "sandbox-primary"


def bootstrap(sb: common.Sandbox, names: list[str], parallel: int) -> float:
    wd = common.workdir()
    sb.reset()
    sb.ampctl("bootstrap", "--federated", "--yes", "--context", sb.context(PRIMARY), cwd=wd)
    contexts = [arg for name in names[1:] for arg in ("--context", sb.context(name))]
    return sb.ampctl("add-cluster", "--federated", "--yes", "--parallel", str(parallel), *contexts, cwd=wd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=20, help="clusters in the fleet, the primary included")
    parser.add_argument("--latency", type=int, default=100)
    args = parser.parse_args()
    names = common.clusters(args.clusters)
    n = len(names) - 1
    print(f"fleet of {len(names)} clusters, +{args.latency} ms per AWS request", flush=True)
    with common.sandbox(names, latency_ms=args.latency) as sb:
        serial = bootstrap(sb, names, 1)
        common.line(f"add-cluster --federated on {n} clusters, --parallel 1", f"{serial:6.2f} s   {common.cpu(sb)}")
        wide = bootstrap(sb, names, 16)
        goal = 0.8 * min(n, 16)
        common.line(f"add-cluster --federated on {n} clusters, --parallel 16", f"{wide:6.2f} s   {common.cpu(sb)}")
        common.line("speed-up (goal >= 0.8 x min(N, 16))", f"{serial / wide:5.1f}x  (goal {goal:.1f}x)")
        wd = common.workdir()
        doctor = common.median([sb.ampctl("doctor", "--all", cwd=wd, check=False) for _ in range(3)])
        common.line(f"doctor --all, {len(names)} clusters (goal <= 3 s for 20)", f"{doctor:6.2f} s   {common.cpu(sb)}")
        status = common.median([sb.ampctl("status", "--all", cwd=wd, check=False) for _ in range(3)])
        common.line(
            f"status --all, {len(names)} clusters (goal <= 1.5 s for 20)", f"{status:6.2f} s   {common.cpu(sb)}"
        )
    with common.sandbox([PRIMARY, "sandbox-east"], latency_ms=0) as sb:
        wd = common.workdir()
        sb.ampctl("bootstrap", "--federated", "--yes", "--context", sb.context(PRIMARY), cwd=wd)
        one = common.median(
            [sb.ampctl("doctor", "--context", sb.context(PRIMARY), cwd=wd, check=False) for _ in range(3)]
        )
        common.line("doctor, one cluster, no added latency (goal <= 1 s)", f"{one:6.2f} s")


if __name__ == "__main__":
    main()
