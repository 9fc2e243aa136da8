"""Benchmark: fleets. add-cluster over N clusters at --parallel 1 and 16, doctor and status over a fleet.

On one sandbox of 1 + N clusters with the added latency per AWS request (default 100 ms):
- `add-cluster --federated` on the N additional clusters at `--parallel 1`, then (world reset) at
  `--parallel 16`: the speed-up, judged against 0.8 x min(N, 16);
- `doctor --all` and `status --all` over the whole fleet (goals: <= 3 s and <= 1.5 s at 100 ms for 20);
- `doctor` on one cluster, on a sandbox without added latency (goal: <= 1 s);
- with `--pod-start SECONDS` (each pod ContainerCreating that long, as on a real cluster), only the add-cluster
  figures: on real clusters the waits dominate, not this machine's CPU (goal at 30 s and 11 clusters: >= 8x).

Figures only, no asserts.

    .venv/bin/python bench/fleet.py [--clusters 20] [--latency 100] [--pod-start 30 --clusters 11]
"""

from __future__ import annotations

import argparse
import time

import common

PRIMARY = "sandbox-primary"


def bootstrap(sb: common.Sandbox, names: list[str], parallel: int, pod_start: float = 0.0) -> float:
    wd = common.workdir()
    sb.reset()
    if pod_start:
        time.sleep(pod_start + 2)  # the clusters' own pods (the EBS CSI controller) start that slowly too
    sb.ampctl("bootstrap", "--federated", "--yes", "--context", sb.context(PRIMARY), cwd=wd)
    contexts = [arg for name in names[1:] for arg in ("--context", sb.context(name))]
    return sb.ampctl("add-cluster", "--federated", "--yes", "--parallel", str(parallel), *contexts, cwd=wd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=20, help="clusters in the fleet, the primary included")
    parser.add_argument("--latency", type=int, default=100)
    parser.add_argument("--pod-start", type=float, default=0.0, help="seconds each pod takes to start")
    args = parser.parse_args()
    names = common.clusters(args.clusters)
    n = len(names) - 1
    start = f", pods start in {args.pod_start:g} s" if args.pod_start else ""
    print(f"fleet of {len(names)} clusters, +{args.latency} ms per AWS request{start}", flush=True)
    with common.sandbox(names, latency_ms=args.latency, pod_start=args.pod_start) as sb:
        serial = bootstrap(sb, names, 1, args.pod_start)
        common.line(f"add-cluster --federated on {n} clusters, --parallel 1", f"{serial:6.2f} s   {common.cpu(sb)}")
        wide = bootstrap(sb, names, 16, args.pod_start)
        goal = 0.8 * min(n, 16)
        common.line(f"add-cluster --federated on {n} clusters, --parallel 16", f"{wide:6.2f} s   {common.cpu(sb)}")
        common.line("speed-up (goal >= 0.8 x min(N, 16))", f"{serial / wide:5.1f}x  (goal {goal:.1f}x)")
        if args.pod_start:
            return
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
