"""The upgrade's rules without a sandbox: the order of the waves, which version changes are made, the 2.9 bridge's
arithmetic and the progress record's tags."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ampctl.errors import AmpctlError
from ampctl.spec import ClusterSpec
from ampctl.upgrade import record
from ampctl.upgrade.bridge import Bridge
from ampctl.upgrade.paths import changes, check_path
from ampctl.upgrade.waves import waves

FLEET = ["p", "a1", "a2", "a3", "a4", "a5"]


def test_the_primary_goes_first_then_waves_of_max_parallel() -> None:
    found = waves(FLEET, "p", None, 2)
    assert [(w.kind, w.clusters) for w in found] == [
        ("canary", ("p",)), ("agents", ("a1", "a2")), ("agents", ("a3", "a4")), ("agents", ("a5",)),
    ]  # fmt: skip
    assert [w.number for w in found] == [1, 2, 3, 4]


def test_a_named_canary_goes_alone_before_the_primary() -> None:
    found = waves(FLEET, "p", "a3", 4)
    assert [(w.kind, w.clusters) for w in found] == [
        ("canary", ("a3",)), ("primary", ("p",)), ("agents", ("a1", "a2", "a4", "a5")),
    ]  # fmt: skip
    assert waves(FLEET, "p", "a3", 4) == found  # the same choice, the same waves: a re-run resumes them


def test_without_the_primary_the_first_agent_is_not_a_canary() -> None:
    assert [(w.kind, w.clusters) for w in waves(["a1", "a2"], "p", None, 5)] == [("agents", ("a1", "a2"))]


@pytest.mark.parametrize(
    ("canary", "parallel", "says"),
    [("nope", 2, "--canary nope is not one of the clusters chosen"), (None, 0, "--max-parallel 0")],
)
def test_bad_wave_options_are_refused(canary: str | None, parallel: int, says: str) -> None:
    with pytest.raises(AmpctlError, match=says):
        waves(FLEET, "p", canary, parallel)


@pytest.mark.parametrize(
    ("current", "target", "says"),
    [
        ("2.8.7", "3.2.1", "upgrade to 2.9.7 first"),
        ("2.9.7", "2.8.7", "does not downgrade"),
        ("1.108.1", "2.8.7", "re-installs Kubecost"),
        ("2.8.7", "2.9.1", "2.9.2 or later"),
        ("2.8.7", "3.0.1", "3.0.3 or later"),
    ],
)
def test_version_changes_ampctl_does_not_make(current: str, target: str, says: str) -> None:
    with pytest.raises(AmpctlError) as caught:
        check_path(current, target, federated=True, identity="irsa")
    assert says in f"{caught.value.message} {caught.value.hint}"


def test_a_quick_start_fleet_cannot_take_the_bridge() -> None:
    with pytest.raises(AmpctlError, match="runs federated only"):
        check_path("2.8.7", "2.9.7", federated=False, identity="irsa")


@pytest.mark.parametrize(("current", "target"), [("2.4.2", "2.8.7"), ("2.8.7", "2.9.7"), ("2.9.7", "3.2.1"),
                                                  ("3.1.0", "3.2.1"), ("2.9.7", "2.9.7")])  # fmt: skip
def test_version_changes_ampctl_makes(current: str, target: str) -> None:
    check_path(current, target, federated=True, identity="irsa")


def test_the_bridge_is_two_days_of_the_finops_agent() -> None:
    now = datetime(2026, 12, 5, 12, tzinfo=timezone.utc)
    assert Bridge("a", now - timedelta(hours=48)).crossed(now)
    short = Bridge("a", now - timedelta(hours=47, minutes=30))
    assert not short.crossed(now) and "47.5h of 48h (0.5h to go)" in short.describe(now)
    missing = Bridge("a", None)
    assert not missing.crossed(now) and "no finops-agent runs" in missing.describe(now)


def test_the_record_round_trips_through_tags_that_aws_accepts() -> None:
    note = 'wave 2/3: doctor fails: east kubecost3.freshness: nothing under "s3://b/federated/east/" (see; it)'
    progress = record.Progress("3.2.1", "2.9.7", record.STOPPED, "1/3", note, "2026-12-05T12:00:00Z")
    tags = progress.tags()
    # The tag value pattern of botocore's amp model (and S3's bucket tags): letters, digits, spaces, _ . : / = + - @
    import re

    assert all(re.fullmatch(r"[\w .:/=+\-@]{0,256}", v) for v in tags.values()), tags
    back = record.from_tags(tags)
    assert back is not None and back.state == record.STOPPED and back.wave == "1/3" and back.under_way
    assert back.to_3x and "doctor fails: east kubecost3.freshness" in back.note
    assert record.from_tags({}) is None and record.from_tags({record.STATE_TAG: "odd", record.TARGET_TAG: "x"}) is None
    assert len(record.tag_safe("x" * 400)) == 256


def spec(version: str, primary: bool, identity: str = "irsa") -> ClusterSpec:
    return ClusterSpec(
        cluster="east", region="us-east-2", account="123456789012", workspace_id="ws-1", primary=primary,
        oidc_issuer="https://oidc.eks.us-east-2.amazonaws.com/id/ABC", federated=True, bucket="etl-bucket",
        chart_version=version, identity=identity,
    )  # fmt: skip


def test_what_the_move_to_3x_changes_on_a_primary() -> None:
    found = changes(spec("3.2.1", True, "pod-identity"), "2.9.7", [])
    text = "\n".join(found)
    assert found[0] == "chart cost-analyzer 2.9.7 -> kubecost 3.2.1 (same release)"
    assert (
        "new roles and ServiceAccounts: kubecost-finopsagent, kubecost-aggregator, kubecost-cluster-controller" in text
    )
    assert "pod identity associations: 3 new, the 2 of 2.x deleted" in text
    # The 2.x claims go; the aggregator's are the 3.x aggregator's too; the 2.9 finops-agent's is kept by the chart.
    assert "volumes deleted: kubecost-cost-analyzer, kubecost-prometheus-server\n" in text + "\n"
    assert "volume kubecost-finopsagent left by the chart (resource-policy keep)" in text
    assert "history re-ingested from the bucket" in text


def test_what_the_bridge_and_a_2x_step_change() -> None:
    agent = "\n".join(changes(spec("3.2.1", False), "2.9.7", []))
    assert "kubecost-aggregator" not in agent and "history re-ingested" not in agent
    from ampctl.provision.values import diff_keys, merged
    from ampctl.render.values import values_files

    def values(version: str) -> dict[str, object]:
        return merged([f.content for f in values_files(spec(version, False))], (), ())

    bridge = changes(spec("2.9.7", False), "2.8.7", diff_keys(values("2.8.7"), values("2.9.7")))
    assert bridge[0] == "chart 2.8.7 -> 2.9.7" and not any("volumes deleted" in c for c in bridge)
    (values,) = [c for c in bridge if c.startswith("values: ")]
    assert "kubecostModel.federatedStorageConfigSecret" in values and "global.clusterId" in values, values
    assert any("finops-agent starts writing to the bucket" in c for c in bridge)
