"""Maps every way a command can end to an exit code and at most a few lines on stderr.

User errors (usage errors included): one line plus a hint, exit 1. Ctrl-C: exit 130. Anything unexpected: exit 3,
with the traceback (never local variables) written to a private log file whose path is printed.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from ampctl import output
from ampctl.errors import (
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USER_ERROR,
    AmpctlError,
    AmpctlErrors,
)
from ampctl.translate import translate


def log_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(os.environ.get("AMPCTL_LOG_DIR", os.path.join(base, "ampctl")))


def _write_crash_log(exc: BaseException) -> Path:
    directory = log_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"ampctl {' '.join(sys.argv[1:])}\n{text}")
    return path


def _report(error: AmpctlError) -> None:
    if isinstance(error, AmpctlErrors):
        for target, sub in error.errors.items():
            output.error(f"{target}: {sub.message}", sub.hint)
        output.error(error.message)
        return
    output.error(error.message, error.hint)


def handle(run: Callable[[], Any]) -> int:
    try:
        result = run()
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        output.err().print("aborted")
        return EXIT_INTERRUPTED
    except typer.TyperException as exc:
        # Usage errors (unknown flag, bad value) are user errors: one line, a hint, exit 1.
        ctx = getattr(exc, "ctx", None)
        path = ctx.command_path if ctx is not None else "ampctl"
        output.error(exc.format_message(), f"see `{path} --help`")
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        output.err().print("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - this is the last line of defence
        user_error = translate(exc)
        if user_error is not None:
            _report(user_error)
            return EXIT_USER_ERROR
        path = _write_crash_log(exc)
        output.error(f"unexpected error: {type(exc).__name__}: {exc}", f"details are in {path}")
        return EXIT_INTERNAL_ERROR
    return int(result) if isinstance(result, int) else EXIT_OK
