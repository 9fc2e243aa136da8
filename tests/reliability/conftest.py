"""Reliability tests share the session sandbox: each starts from a reset one and leaves faults off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Sandbox
from tests.reliability.world import fleet_file, set_faults


@pytest.fixture
def clean(sandbox: Sandbox) -> Iterator[Sandbox]:
    """A reset sandbox with no faults; faults a test switched on are switched off again."""
    set_faults(sandbox)
    sandbox.reset()
    try:
        yield sandbox
    finally:
        set_faults(sandbox)


@pytest.fixture
def fleet(clean: Sandbox, tmp_path: Path) -> Path:
    """A federated fleet of the primary alone: what the single-cluster tests need."""
    return fleet_file(clean, tmp_path, ())
