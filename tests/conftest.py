"""Shared test set-up: the helm/kubectl binaries from scripts/install-tools.sh and Prometheus."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOLS = Path(os.environ.get("AMPCTL_TOOLS_DIR", Path(sys.executable).parent))


def _tool(name: str) -> str:
    path = TOOLS / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: run scripts/install-tools.sh")
    return found


@pytest.fixture(scope="session")
def helm3() -> str:
    return _tool("helm3")


@pytest.fixture(scope="session")
def helm4() -> str:
    return _tool("helm4")


@pytest.fixture(scope="session")
def kubectl() -> str:
    return _tool("kubectl")


@pytest.fixture(scope="session")
def prometheus_bin() -> str:
    found = shutil.which("prometheus")
    if not found:
        raise RuntimeError("prometheus not found: apt-get install prometheus (see .ci/run)")
    return found
