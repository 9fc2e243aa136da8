"""Reads that race with another run's changes. The shared workspace, the bucket and the IAM policies are no
single cluster's, so no Lease keeps two runs apart there: one run may create or delete what another is reading.

A plan reads a resource with several calls. When a later call says "not found" for what an earlier one saw
(it vanished), or finds what an earlier one missed (it appeared), the step reads it once more from the start
and plans from that. A second contradiction is one line naming the likely cause, never an unexpected error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ampctl.aws.errors import GONE, error_code
from ampctl.errors import AmpctlError

T = TypeVar("T")

LIKELY_CAUSE = "another ampctl run (or a teardown) is changing it at the same time"
AFTER_IT = "wait for the other run to finish, then re-run"


def reread_once(read: Callable[[], T], what: str) -> T:
    """`read()`, made again once when one of its calls found `what` gone after another saw it."""
    from botocore.exceptions import ClientError

    try:
        return read()
    except ClientError as exc:
        if error_code(exc) not in GONE:
            raise
    try:
        return read()
    except ClientError as exc:
        if error_code(exc) not in GONE:
            raise
        raise AmpctlError(f"{what} appeared or vanished between two reads, twice: {LIKELY_CAUSE}", AFTER_IT) from exc
