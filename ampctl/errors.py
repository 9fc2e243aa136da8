"""The one user-facing error type, and the exit codes ampctl uses."""

from __future__ import annotations

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_CHECKS_FAILED = 2
EXIT_INTERNAL_ERROR = 3
EXIT_INTERRUPTED = 130


class AmpctlError(Exception):
    """A problem the user can fix: a one-line message plus a hint saying what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class AmpctlErrors(AmpctlError):
    """Several independent failures (one per cluster, for example), reported together."""

    def __init__(self, errors: dict[str, AmpctlError]) -> None:
        self.errors = errors
        names = ", ".join(errors)
        super().__init__(f"{len(errors)} target(s) failed: {names}")
