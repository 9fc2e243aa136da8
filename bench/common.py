"""Shared pieces of the benchmarks: a private sandbox, timed ampctl runs, the sandbox's call log.

Every benchmark starts its own sandbox in a temporary directory (so it never touches one you run) and stops
it at the end. Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOOLS = Path(os.environ.get("AMPCTL_TOOLS_DIR", Path(sys.executable).parent))


def tool(name: str) -> str:
    path = TOOLS / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found: run scripts/install-tools.sh")
    return found


class Sandbox:
    def __init__(self, state_dir: Path) -> None:
        from ampctl.sandbox.config import read_state
        from ampctl.sandbox.manager import env_exports

        state = read_state(state_dir)
        assert state is not None
        self.state = state
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.env.update(env_exports(state))
        self.env["PATH"] = f"{TOOLS}{os.pathsep}{self.env.get('PATH', '')}"
        self.env["AMPCTL_HELM"] = tool("helm3")
        self.cpu = (0.0, 0.0)  # of the last command run: (its own with its children, the sandbox's)

    def _post(self, url: str) -> None:
        request = urllib.request.Request(url, data=b"{}", method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as resp:
            resp.read()

    def reset(self) -> None:
        self._post(f"{self.state.aws_endpoint}/_sandbox/reset")
        for cluster in self.state.clusters.values():
            self._post(f"{cluster.api_url}/_sandbox/reset")

    def clear_calls(self) -> None:
        self._post(f"{self.state.aws_endpoint}/_sandbox/calls/clear")

    def calls(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.state.aws_endpoint}/_sandbox/calls", timeout=60) as resp:
            found: list[dict[str, Any]] = json.loads(resp.read())
        return found

    def context(self, cluster: str) -> str:
        return self.state.clusters[cluster].context

    def sandbox_cpu(self) -> float:
        """CPU seconds the sandbox's daemon (every emulator, the Kubecost stand-in) has used so far."""
        fields = Path(f"/proc/{self.state.pid}/stat").read_text().rsplit(") ", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def run(self, args: Sequence[str], cwd: Path, *, check: bool = True) -> float:
        """Seconds from start to exit of one command (ampctl or any tool) with the sandbox's environment.

        `self.cpu` is then the CPU seconds of that command (with the helm processes it ran) and of the sandbox."""
        started, before, served = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN), self.sandbox_cpu()
        proc = subprocess.run(list(args), capture_output=True, text=True, env=self.env, cwd=cwd, timeout=900)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        self.cpu = (used, self.sandbox_cpu() - served)
        if check and proc.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return elapsed

    def ampctl(self, *args: str, cwd: Path, check: bool = True) -> float:
        return self.run([sys.executable, "-m", "ampctl", *args], cwd, check=check)


@contextlib.contextmanager
def sandbox(
    clusters: Sequence[str], latency_ms: int = 0, pod_start: float = 0.0, charts: Path | None = None
) -> Iterator[Sandbox]:
    from ampctl.sandbox import manager
    from ampctl.sandbox.config import Faults, SandboxConfig

    prometheus = shutil.which("prometheus")
    if prometheus is None:
        raise SystemExit("prometheus not found (apt-get install prometheus)")
    state_dir = Path(tempfile.mkdtemp(prefix="ampctl-bench-"))
    config = SandboxConfig(
        state_dir=state_dir,
        clusters=tuple(clusters),
        faults=Faults(latency_ms=latency_ms),
        prometheus_bin=prometheus,
        feeder_interval=1.0,
        pod_start_seconds=pod_start,
        charts_dir=charts,
    )
    manager.up(config)
    try:
        yield Sandbox(state_dir)
    finally:
        manager.down(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)


def chain(calls: list[dict[str, Any]]) -> int:
    """The longest run of AWS calls each started after the one before it ended: the dependent round trips."""
    ordered = sorted(calls, key=lambda c: c["ended"])
    depth: list[int] = []
    for i, call in enumerate(ordered):
        before = [depth[j] for j in range(i) if ordered[j]["ended"] <= call["started"]]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def clusters(count: int) -> list[str]:
    return ["sandbox-primary", *(f"sandbox-{i:02d}" for i in range(1, count))]


def workdir() -> Path:
    """A scratch directory for one run's values files, removed when the benchmark ends."""
    path = Path(tempfile.mkdtemp(prefix="ampctl-bench-work-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def cpu(sb: Sandbox) -> str:
    """The CPU the last command used, and the sandbox while serving it (2 cores run both)."""
    return f"(CPU: ampctl and helm {sb.cpu[0]:.1f} s, sandbox {sb.cpu[1]:.1f} s)"


def line(label: str, value: str) -> None:
    print(f"  {label:<58} {value}", flush=True)
