"""Benchmark: `ampctl upgrade` of a fleet, 2.8.7 -> 2.9.7 with the real charts, in waves of --max-parallel.

For each --max-parallel value, a sandbox of 1 + N clusters (each pod takes --pod-start seconds to start, as image
pulls and readiness do on EKS) gets a 2.8.7 fleet (bootstrap, then one add-cluster over the others), then:

- `upgrade --dry-run`: the plan (every cluster read at once);
- `upgrade --to 2.9.7 --max-parallel P`: the canary (the primary), then the agents in waves of P, doctor after each;
- the same again: nothing to change.

Figures and the ratio of the sequential upgrade to the parallel one, no asserts.

    .venv/bin/python bench/upgrade.py [--clusters 9] [--pod-start 5] [--parallel 1 8]
"""

from __future__ import annotations

import argparse
import time

import common

CHARTS = common.ROOT.parent / "shared" / "charts"


def one(count: int, pod_start: float, parallel: int) -> float:
    names = common.clusters(count)
    with common.sandbox(names, pod_start=pod_start, charts=CHARTS) as sb:
        wd = common.workdir()
        lines = ["apiVersion: ampctl/v1", "kind: Fleet", "name: bench", "federated: true", "primary:"]
        lines += [f"  context: {sb.context(names[0])}", "clusters:"]
        lines += [f"  - context: {sb.context(n)}" for n in names[1:]]
        (wd / "ampctl.yaml").write_text("\n".join(lines) + "\n")
        time.sleep(pod_start + 2)  # the clusters' own pods (the EBS CSI controller) start first
        sb.ampctl("bootstrap", "-F", "ampctl.yaml", "--kubecost-version", "2.8.7", "--yes", cwd=wd)
        sb.ampctl("add-cluster", "-F", "ampctl.yaml", "--parallel", "16", "--yes", cwd=wd)
        plan = sb.ampctl("upgrade", "-F", "ampctl.yaml", "--to", "2.9.7", "--dry-run", cwd=wd)
        common.line(f"upgrade --dry-run, {count} clusters", f"{plan:6.2f} s   {common.cpu(sb)}")
        args = ("upgrade", "-F", "ampctl.yaml", "--to", "2.9.7", "--yes", "--gate-wait", "5m")
        took = sb.ampctl(*args, "--max-parallel", str(parallel), cwd=wd)
        waves = 1 + -(-(count - 1) // parallel)
        common.line(f"upgrade --max-parallel {parallel} ({waves} waves)", f"{took:6.2f} s   {common.cpu(sb)}")
        again = sb.ampctl(*args, "--max-parallel", str(parallel), cwd=wd)
        common.line("the same again (nothing to change)", f"{again:6.2f} s   {common.cpu(sb)}")
        return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=9, help="sandbox clusters, the primary included")
    parser.add_argument("--pod-start", type=float, default=5.0)
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    if not CHARTS.is_dir():
        raise SystemExit(f"the real charts are not at {CHARTS}")
    print(f"fleet of {args.clusters} clusters, pods start in {args.pod_start:g} s", flush=True)
    took = {p: one(args.clusters, args.pod_start, p) for p in args.parallel}
    first, last = args.parallel[0], args.parallel[-1]
    if first != last:
        common.line(f"--max-parallel {first} / --max-parallel {last}", f"{took[first] / took[last]:6.2f}x")


if __name__ == "__main__":
    main()
