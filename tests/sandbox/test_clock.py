"""The sandbox's AWS clock: the Date header of every answer is the real time plus an offset that only moves on."""

from __future__ import annotations

import email.utils
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from ampctl.sandbox.aws.clock import SandboxClock
from ampctl.sandbox.aws.emulator import AwsEmulator
from ampctl.sandbox.config import SandboxConfig


def test_the_offset_only_moves_forward_and_resets_to_its_start() -> None:
    clock = SandboxClock(3600)
    assert clock.advance(60) == 3660
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            clock.advance(bad)
    assert clock.offset == 3660
    clock.reset()
    assert clock.offset == 3600
    with pytest.raises(ValueError):
        SandboxClock(-5)
    header = clock.date_header(0.0)
    assert header == "Thu, 01 Jan 1970 01:00:00 GMT"  # IMF-fixdate, RFC 7231 7.1.1.1


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsEmulator]:
    config = SandboxConfig(state_dir=tmp_path_factory.mktemp("clock"), account="100000000031", clusters=("c1",),
                           clock_offset_seconds=7200.0)  # fmt: skip
    emulator = AwsEmulator(config)
    emulator.start()
    yield emulator
    emulator.stop()


def _date(aws: AwsEmulator, path: str, body: bytes | None = None) -> tuple[float, list[str], bytes]:
    request = urllib.request.Request(aws.endpoint + path, data=body, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            headers, out = answer.headers, answer.read()
    except urllib.error.HTTPError as refused:
        headers, out = refused.headers, refused.read()
    dates = headers.get_all("Date") or []
    return email.utils.parsedate_to_datetime(dates[0]).timestamp() - time.time(), dates, out


def test_every_answer_carries_one_shifted_date_and_the_route_refuses_bad_bodies(aws: AwsEmulator) -> None:
    # moto's answer (an unsigned call: a refusal), the sandbox's own routes: one Date header each, 2h ahead.
    for path in ("/", "/_sandbox/calls", "/_sandbox/clock"):
        ahead, dates, _ = _date(aws, path)
        assert len(dates) == 1 and 7190 < ahead < 7210, (path, dates)
    for bad in (b'{"advance_seconds": -3}', b'{"advance_seconds": "soon"}', b'{"offset": 1}', b"[1]", b"{"):
        _, _, out = _date(aws, "/_sandbox/clock", bad)
        assert json.loads(out)["message"].startswith("bad clock request"), bad
    ahead, _, out = _date(aws, "/_sandbox/clock", b'{"advance_seconds": 86400}')
    assert json.loads(out)["offset_seconds"] == 93600.0 and 93590 < ahead < 93610
    aws.reset()  # /_sandbox/reset: the clock goes back to where it started, with the rest of the state
    assert aws.clock.offset == 7200.0
