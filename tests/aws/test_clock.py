"""aws_now: AWS's time from the Date header of a boto3 answer (RFC 7231 IMF-fixdate), else the local clock."""

from __future__ import annotations

import datetime

import pytest

from ampctl.aws.clock import aws_now, date_header

UTC = datetime.timezone.utc


def answer(**headers: str) -> dict:
    """The shape of a boto3 answer: botocore lowercases the header names (parsers.py, lowercase_dict)."""
    return {"ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": headers}}


def test_the_date_header_is_aws_time_in_utc() -> None:
    found = aws_now(answer(date="Sun, 06 Nov 1994 08:49:37 GMT"))
    assert found == datetime.datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert found.utcoffset() == datetime.timedelta(0)


def test_header_names_in_any_case_and_a_client_errors_response() -> None:
    # A ClientError's `response` carries the same ResponseMetadata as an answer.
    error_response = {"Error": {"Code": "404"}, **answer(Date="Wed, 01 Mar 2006 12:00:00 GMT")}
    assert aws_now(error_response) == datetime.datetime(2006, 3, 1, 12, tzinfo=UTC)
    assert date_header(error_response) == "Wed, 01 Mar 2006 12:00:00 GMT"


def test_a_numeric_zone_is_converted_to_utc() -> None:
    assert aws_now(answer(date="Sun, 06 Nov 1994 10:49:37 +0200")) == datetime.datetime(
        1994, 11, 6, 8, 49, 37, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "response",
    [
        None,
        {},
        answer(),
        answer(date=""),
        answer(date="yesterday"),
        {"ResponseMetadata": None},
        {"ResponseMetadata": {}},
    ],
)
def test_no_usable_date_falls_back_to_the_local_clock_in_utc(response: dict | None) -> None:
    before = datetime.datetime.now(UTC)
    found = aws_now(response)
    assert before <= found <= datetime.datetime.now(UTC) and found.tzinfo is not None
