"""AWS's clock: the time an AWS answer was sent, from its HTTP `Date` header (RFC 7231 section 7.1.1.2, the
IMF-fixdate form; botocore keeps the headers in ResponseMetadata.HTTPHeaders), so a rule about elapsed time does
not depend on the operator's own clock."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any


def from_response(response: dict[str, Any]) -> datetime:
    """The answer's Date header as an aware UTC datetime; the local clock when there is none."""
    headers = (response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
    stamp = headers.get("date")
    if stamp:
        try:
            return parsedate_to_datetime(str(stamp)).astimezone(timezone.utc)
        except (TypeError, ValueError):
            pass
    return datetime.now(timezone.utc)


def aws_now(sts: Any) -> datetime:
    """Now, by AWS: GetCallerIdentity needs no permission ("No permissions are required to perform this
    operation", AWS STS API Reference, GetCallerIdentity)."""
    return from_response(sts.get_caller_identity())
