"""The shape's tags, read back, and what makes a cluster differ from it or contradict it (no AWS needed)."""

from __future__ import annotations

import dataclasses

import pytest

from ampctl.errors import AmpctlError
from ampctl.fleetshape import FleetShape, differences, from_tags
from ampctl.provision.follow import follow
from ampctl.provision.request import ProvisionRequest

SHAPE = FleetShape("federated", "2.8.7", bucket="etl", primary="prim", fleet="prod")


def test_tags_round_trip_and_a_workspace_without_a_record_has_none() -> None:
    tags = SHAPE.tags()
    assert tags["ampctl/mode"] == "federated" and tags["ampctl/chart-line"] == "2.x"
    assert from_tags(tags) == SHAPE
    assert from_tags({"managed-by": "ampctl", "ampctl/fleet": "prod"}) is None
    quick = FleetShape("quick-start", "1.108.1")
    assert from_tags(quick.tags()) == quick and quick.tags()["ampctl/bucket"] == ""


def test_differences_name_mode_bucket_and_chart_line_and_skew_only_on_request() -> None:
    assert differences(SHAPE, federated=True, bucket="etl", chart_version="2.8.7") == []
    assert differences(SHAPE, federated=False, bucket=None, chart_version="2.8.7") == [
        "mode quick-start, the fleet is federated"
    ]
    assert differences(SHAPE, federated=True, bucket="other", chart_version="2.8.7") == [
        "bucket other, the fleet's is etl"
    ]
    assert differences(SHAPE, federated=True, bucket="etl", chart_version="1.108.1") == [
        "chart line 1.x (1.108.1), the fleet's is 2.x"
    ]
    assert differences(SHAPE, federated=True, bucket="etl", chart_version="2.8.6") == []
    skewed = differences(SHAPE, federated=True, bucket="etl", chart_version="2.8.6", skew=True)
    assert skewed == ["chart 2.8.6, the fleet's is 2.8.7"]


def test_follow_fills_what_was_not_given_and_refuses_a_contradiction() -> None:
    agent = ProvisionRequest(primary=False)
    followed = follow(agent, SHAPE, "east", "ws-1")
    assert (followed.federated, followed.bucket, followed.chart_version) == (True, "etl", "2.8.7")
    refuse = dataclasses.replace(agent, federated=False, given=frozenset({"federated"}))
    with pytest.raises(AmpctlError) as info:
        follow(refuse, SHAPE, "east", "ws-1")
    assert "--no-federated asks for quick-start" in info.value.message
    assert info.value.hint and "--override-fleet-shape" in info.value.hint
    overridden = follow(dataclasses.replace(refuse, override_shape=True), SHAPE, "east", "ws-1")
    assert (overridden.federated, overridden.bucket) == (False, None)
    with pytest.raises(AmpctlError, match="its primary is prim, not other"):
        follow(ProvisionRequest(primary=True), SHAPE, "other", "ws-1")
