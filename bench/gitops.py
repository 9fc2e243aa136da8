"""Benchmark: GitOps. `render --gitops` on large fleet files, and the AWS side of a fleet with `--no-helm`.

- `render --gitops argocd` and `flux` from a fleet file of 100, 250 and 500 clusters, offline (EKS context ARNs and
  a workspace id: no AWS call, no kubeconfig): seconds, and per cluster (linear when the per-cluster figure holds);
- on one sandbox of 1 + N clusters with the added latency per AWS request (default 100 ms): `bootstrap --no-helm`
  on the primary, then one `add-cluster --no-helm --parallel P` (default 16) over the N others, from a fleet file.

Figures only, no asserts.

    .venv/bin/python bench/gitops.py [--clusters 101] [--latency 100] [--parallel 16] [--render-only]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import common

ACCOUNT, REGION = "012345678901", "us-east-1"
WORKSPACE = "ws-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


def offline_fleet(path: Path, count: int) -> None:
    arn = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster"
    lines = [
        "apiVersion: ampctl/v1", "kind: Fleet", "name: bench", f"region: {REGION}", "federated: true",
        f"workspace_id: {WORKSPACE}", "primary:", f"  context: {arn}/hub", "clusters:",
    ]  # fmt: skip
    lines += [f"  - context: {arn}/c{i:04d}" for i in range(1, count)]
    path.write_text("\n".join(lines) + "\n")


def render(count: int) -> None:
    wd = common.workdir()
    offline_fleet(wd / "ampctl.yaml", count)
    for engine in ("argocd", "flux"):
        extra = ["--git-repo", "https://git.example.com/fleet.git"] if engine == "argocd" else []
        args = ["render", "-F", "ampctl.yaml", "--gitops", engine, "--out-dir", f"out-{engine}", *extra]
        runner = _Local()
        seconds = runner.ampctl(*args, cwd=wd)
        files = sum(1 for p in (wd / f"out-{engine}").rglob("*") if p.is_file())
        per = 1000 * seconds / count
        common.line(
            f"render --gitops {engine}, {count} clusters ({files} files)", f"{seconds:6.2f} s  {per:5.1f} ms/cluster"
        )


class _Local:
    """Runs ampctl without a sandbox (render is offline)."""

    def ampctl(self, *args: str, cwd: Path) -> float:
        import os
        import subprocess
        import sys
        import time

        started = time.perf_counter()
        env = {**os.environ, "AMPCTL_CHART_REPO": ""}
        proc = subprocess.run([sys.executable, "-m", "ampctl", *args], cwd=cwd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"ampctl {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
        return time.perf_counter() - started


def no_helm(clusters: int, latency: int, parallel: int) -> None:
    names = common.clusters(clusters)
    print(f"fleet of {len(names)} clusters, +{latency} ms per AWS request", flush=True)
    with common.sandbox(names, latency_ms=latency) as sb:
        wd = common.workdir()
        lines = ["apiVersion: ampctl/v1", "kind: Fleet", "name: bench", "federated: true", "primary:"]
        lines += [f"  context: {sb.context(names[0])}", "clusters:"]
        lines += [f"  - context: {sb.context(n)}" for n in names[1:]]
        (wd / "ampctl.yaml").write_text("\n".join(lines) + "\n")
        boot = sb.ampctl("bootstrap", "-F", "ampctl.yaml", "--no-helm", "--yes", cwd=wd)
        common.line("bootstrap --no-helm (primary)", f"{boot:6.2f} s   {common.cpu(sb)}")
        add = sb.ampctl("add-cluster", "-F", "ampctl.yaml", "--no-helm", "--parallel", str(parallel), "--yes", cwd=wd)
        what = f"add-cluster --no-helm --parallel {parallel}, {len(names) - 1} clusters"
        common.line(what, f"{add:6.2f} s   {common.cpu(sb)}")
        again = sb.ampctl("add-cluster", "-F", "ampctl.yaml", "--no-helm", "--parallel", str(parallel), "--yes", cwd=wd)
        common.line("the same again (nothing to change)", f"{again:6.2f} s   {common.cpu(sb)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clusters", type=int, default=101, help="sandbox clusters for --no-helm, the primary included"
    )
    parser.add_argument("--latency", type=int, default=100)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    print("render --gitops from a fleet file, offline", flush=True)
    for count in (100, 250, 500):
        render(count)
    if not args.render_only:
        no_helm(args.clusters, args.latency, args.parallel)


if __name__ == "__main__":
    main()
