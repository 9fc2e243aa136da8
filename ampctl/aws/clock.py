"""AWS's current time, as an AWS answer tells it: its HTTP `Date` header.

Comparing a time AWS or Kubernetes recorded (a Deployment's `metadata.creationTimestamp`, an object's
`LastModified`) with the operator's laptop clock mixes two clocks; the `Date` header of an answer gives AWS's own.
S3's answers carry one: "Date: The date and time that Amazon S3 responded; for example, Wed, 01 Mar 2006 12:00:00
GMT" (Amazon S3 API Reference, "Common response headers"), RFC 7231's IMF-fixdate (section 7.1.1.1), which an
HTTP/1.1 origin server with a clock must send (RFC 7231 7.1.1.2).
boto3 returns it in `response["ResponseMetadata"]["HTTPHeaders"]["date"]` (botocore parsers.py lowercases the
header names: `response_metadata['HTTPHeaders'] = lowercase_dict(headers)`); a `ClientError` carries the same
`ResponseMetadata` in `error.response`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any


def date_header(response: Mapping[str, Any] | None) -> str | None:
    """The `Date` header of a boto3 answer (or a ClientError's `response`), if it has one."""
    metadata = (response or {}).get("ResponseMetadata")
    headers = metadata.get("HTTPHeaders") if isinstance(metadata, Mapping) else None
    if not isinstance(headers, Mapping):
        return None
    for name, value in headers.items():
        if str(name).lower() == "date" and value:
            return str(value)
    return None


def aws_now(response: Mapping[str, Any] | None = None) -> datetime.datetime:
    """AWS's time when it sent `response` (a timezone-aware UTC datetime), from its `Date` header; the local clock
    in UTC when the answer has no `Date` header or one that is not an HTTP date."""
    import email.utils

    found = date_header(response)
    if found:
        try:
            stamp = email.utils.parsedate_to_datetime(found)
        except (TypeError, ValueError):
            stamp = None
        if stamp is not None:
            # RFC 7231 7.1.1.1: an HTTP date is always in GMT; parsedate_to_datetime leaves a "-0000" date naive.
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=datetime.timezone.utc)
            return stamp.astimezone(datetime.timezone.utc)
    return datetime.datetime.now(datetime.timezone.utc)
