"""Turn a known failure of a library below ampctl into the one user-facing error type.

Used by the executor, doctor and status to record a failure per cluster, and by the CLI as its last line of defence.
"""

from __future__ import annotations

import sys

from ampctl.errors import AmpctlError


def translate(exc: BaseException) -> AmpctlError | None:
    """A user error for a known failure (AWS credentials, region, access), else None."""
    if isinstance(exc, AmpctlError):
        return exc
    if "botocore" in sys.modules:
        from ampctl.aws.errors import translate_aws_error

        return translate_aws_error(exc)
    return None
