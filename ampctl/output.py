"""The one place that prints: data to stdout, progress and diagnostics to stderr.

`--output json` makes stdout carry exactly one JSON document; `-q` silences progress,
`-v` adds detail. NO_COLOR is honoured by Rich itself.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


@dataclass
class Settings:
    output: str = "text"
    verbosity: int = 0  # -1 quiet, 0 normal, 1+ verbose
    collected: list[Any] | None = None  # inside `collecting()`: JSON documents kept for the outer command's one


settings = Settings()
PIPE_WIDTH = 160
_consoles: dict[str, Console] = {}


def _console(name: str) -> Console:
    if name not in _consoles:
        from rich.console import Console

        console = Console(stderr=(name == "err"), highlight=False, soft_wrap=False)
        # Piped output (scripts, CI logs) gets tables at a readable width rather than cut to 80 columns.
        if not console.is_terminal and "COLUMNS" not in os.environ:
            console.width = PIPE_WIDTH
        _consoles[name] = console
    return _consoles[name]


def out() -> Console:
    """The data console (stdout)."""
    return _console("out")


def err() -> Console:
    """The status console (stderr)."""
    return _console("err")


def is_json() -> bool:
    return settings.output == "json"


def emit_json(data: Any) -> None:
    if settings.collected is not None:
        settings.collected.append(data)
        return
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


@contextmanager
def collecting() -> Iterator[list[Any]]:
    """A command run inside another (an upgrade's waves provision and run doctor): its JSON document goes to the
    list yielded, for the outer command to put in its own, so that stdout still carries exactly one."""
    outer, settings.collected = settings.collected, []
    try:
        yield settings.collected
    finally:
        settings.collected = outer


def show(renderable: RenderableType) -> None:
    """Print data for people (ignored in JSON mode, where the command emits JSON instead)."""
    if not is_json():
        out().print(renderable, soft_wrap=isinstance(renderable, str))


def info(message: str) -> None:
    if settings.verbosity >= 0:
        err().print(message)


def detail(message: str) -> None:
    """Shown with -v; plain text (no markup)."""
    if settings.verbosity >= 1:
        from rich.markup import escape

        err().print(f"[dim]{escape(message)}[/dim]", soft_wrap=True)


def warn(message: str) -> None:
    err().print(f"[yellow]warning:[/yellow] {message}", soft_wrap=True)


def error(message: str, hint: str | None = None) -> None:
    from rich.markup import escape

    err().print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    if hint:
        err().print(f"[dim]hint:[/dim] {escape(hint)}", soft_wrap=True)


def trace_helm() -> None:
    """With -v, show each helm command pyhelm3 runs (values go over stdin, never on the command line)."""
    import logging

    class _ToConsole(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            detail(record.getMessage())

    logger = logging.getLogger("pyhelm3")
    logger.setLevel(logging.INFO)
    logger.addHandler(_ToConsole())
