"""Helpers for the tests that run the real Kubecost charts (`../shared/charts`): ampctl's values for a
chart version and role, and `helm template` of a chart with them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REAL_CHARTS

REGION = "us-east-2"
ACCOUNT = "123456789012"
WORKSPACE = "ws-0123456789abcdef"
ISSUER = "https://oidc.eks.us-east-2.amazonaws.com/id/EXAMPLE0123456789"
OBJECT_STORE = "kubecost-object-store"
VERSIONS = ("1.103.4", "1.108.1", "2.4.2", "2.8.7", "2.9.7")

Objects = dict[tuple[str, str], dict[str, Any]]

needs_real_charts = pytest.mark.skipif(not REAL_CHARTS.is_dir(), reason=f"no real charts in {REAL_CHARTS}")


def chart_package(version: str) -> Path:
    return REAL_CHARTS / f"cost-analyzer-{version}.tgz"


def render_values(out_dir: Path, version: str, cluster: str, agent: bool) -> list[Path]:
    """The values files `ampctl render --federated` writes for this version and role, in helm's order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "ampctl", "render", "--federated", "--out-dir", str(out_dir)]
    args += ["--cluster", cluster, "--region", REGION, "--account", ACCOUNT, "--oidc-issuer", ISSUER]
    args += ["--workspace-id", WORKSPACE, "--kubecost-version", version, *(["--agent"] if agent else [])]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"ampctl render refused {version}: {done.stderr}"
    return sorted(p for p in out_dir.glob("0*.yaml"))


def template(helm: str, chart: Path, values: list[Path], namespace: str = "kubecost") -> Objects:
    args = [helm, "template", "kubecost", str(chart), "--namespace", namespace]
    for path in values:
        args += ["-f", str(path)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(done.stdout) if o}
