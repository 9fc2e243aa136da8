"""Ask before applying a plan: --yes answers for the user; a run without a terminal refuses to guess."""

from __future__ import annotations

import sys

from ampctl.errors import AmpctlError


def confirm(changes: int, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise AmpctlError(
            f"{changes} change(s) planned; refusing to apply without confirmation in a non-interactive run",
            "pass --yes to apply, or --dry-run to only show the plan",
        )
    import typer

    return bool(typer.confirm(f"Apply {changes} change(s)?", default=False, err=True))
