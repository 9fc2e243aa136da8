"""Options shared by several commands."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer

from ampctl import output


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


OutputOpt = typer.Option(
    None, "--output", "-o", help="Output format: text for people, json for machines.", show_default=False
)


def apply_output(fmt: Optional[OutputFormat]) -> None:  # noqa: UP045 - Typer needs Optional on 3.10
    """Let a command-level --output override the global one."""
    if fmt is not None:
        output.settings.output = fmt.value
