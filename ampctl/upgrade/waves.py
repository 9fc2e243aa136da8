"""The order of an upgrade: a canary alone, then the primary alone, then the other clusters in waves of
--max-parallel.

The primary goes first unless another canary is named: "the primary does not need to be upgraded first, though it is
recommended to do so" (kubecost/kubecost README.md at v3.2.1, "Migration path from 2.x to 3.x"), and the primary
records the fleet's shape that the agents then follow. The order depends only on the clusters chosen and the
options, so a re-run finds the same waves and resumes at the first that is not done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ampctl.errors import AmpctlError


@dataclass(frozen=True)
class Wave:
    number: int  # 1-based
    clusters: tuple[str, ...]
    kind: str  # "canary", "primary" or "agents"

    def describe(self, total: int) -> str:
        return f"wave {self.number}/{total} ({self.kind}: {', '.join(self.clusters)})"


def check_width(max_parallel: int) -> None:
    if max_parallel < 1:
        raise AmpctlError(f"--max-parallel {max_parallel} is not a number of clusters", "pass 1 or more")


def waves(clusters: Sequence[str], primary: str | None, canary: str | None, max_parallel: int) -> list[Wave]:
    check_width(max_parallel)
    if canary is not None and canary not in clusters:
        raise AmpctlError(
            f"--canary {canary} is not one of the clusters chosen ({', '.join(clusters)})",
            "name a cluster of the fleet, or leave --canary out (the primary goes first)",
        )
    first = canary or (primary if primary is not None and primary in clusters else None)
    found: list[tuple[tuple[str, ...], str]] = []
    if first is not None:
        found.append(((first,), "canary"))
    if primary is not None and primary in clusters and primary != first:
        found.append(((primary,), "primary"))
    rest = [c for c in clusters if c not in (first, primary)]
    found += [(tuple(rest[i : i + max_parallel]), "agents") for i in range(0, len(rest), max_parallel)]
    return [Wave(number, names, kind) for number, (names, kind) in enumerate(found, start=1)]
