"""Released chart versions, their lines, and the modes each version can run (all refused before AWS)."""

from __future__ import annotations

import pytest

from ampctl.errors import AmpctlError
from ampctl.lines import v1, v2, v3, v29
from ampctl.lines.base import Line
from ampctl.versions import (
    DEFAULT_VERSION,
    REFUSED,
    RELEASED,
    SUPPORTED_RANGE,
    chart_line,
    check_mode,
    check_usable,
    show,
)

# The real packages in ../shared/charts are ground truth for these.
SHARED = ["1.103.4", "1.108.1", "2.4.2", "2.8.7", "2.9.7"]


@pytest.mark.parametrize(
    ("version", "line"),
    [
        ("1.97.0", v1.LINE),
        ("1.103.4", v1.LINE),
        ("1.104.5", v1.LINE),
        ("1.108.1", v1.LINE),
        ("2.0.0", v2.LINE),
        ("2.8.7", v2.LINE),
        ("2.9.0", v29.LINE),
        ("2.9.7", v29.LINE),
        ("3.0.3", v3.LINE),
        ("3.2.1", v3.LINE),
    ],
)
def test_released_versions_have_a_line(version: str, line: Line) -> None:
    assert chart_line(version) is line
    assert line.family == ("2.x" if line is v29.LINE else line.name)  # 2.9 is recorded as 2.x


def test_the_table_holds_the_shared_charts_and_the_line_ends() -> None:
    shown = {show(v) for v in RELEASED}
    assert set(SHARED) <= shown
    assert show(RELEASED[0]) == "1.97.0" and show(RELEASED[-1]) == "3.2.1"
    assert "1.108.1" in shown and "2.0.0" in shown
    assert len(shown) == len(RELEASED)


@pytest.mark.parametrize(
    ("version", "nearest"),
    [
        ("2.8.8", "2.8.7 and 2.9.0"),
        ("1.108.2", "1.108.1 and 2.0.0"),
        ("2.7.3", "2.7.2 and 2.8.0"),
        ("2.9.4", "2.9.3 and 2.9.5"),
    ],
)
def test_unreleased_versions_are_refused_naming_the_nearest(version: str, nearest: str) -> None:
    """Defect: versions that were never released were accepted until helm failed to pull them."""
    with pytest.raises(AmpctlError) as info:
        chart_line(version)
    assert "never released" in info.value.message
    assert nearest in (info.value.hint or "")
    assert "--kubecost-version" in (info.value.hint or "")


@pytest.mark.parametrize("version", ["1.96.9", "0.1.0", "latest", "", "2.8", "v2.8.7", "2.8.7-rc.1"])
def test_unsupported_versions_name_the_range(version: str) -> None:
    with pytest.raises(AmpctlError) as info:
        chart_line(version)
    assert SUPPORTED_RANGE in info.value.message
    assert "--kubecost-version" in (info.value.hint or "")
    assert "--chart-version" not in (info.value.hint or "")


@pytest.mark.parametrize("version", ["3.0.3", "3.1.8", "3.2.0", "3.2.1"])
def test_kubecost_3_is_its_own_line_and_federated_only(version: str) -> None:
    assert check_mode(version, federated=True) is v3.LINE
    assert not v3.LINE.on_amp
    with pytest.raises(AmpctlError, match="federated only") as info:
        check_mode(version, federated=False)
    assert "--no-federated" in (info.value.hint or "")


@pytest.mark.parametrize(("version", "named"), [("3.2.2", "3.2.1"), ("3.0.7", "3.0.6 and 3.1.0"), ("4.0.0", "3.2.1")])
def test_unreleased_kubecost_3_names_the_nearest(version: str, named: str) -> None:
    with pytest.raises(AmpctlError, match="never released") as info:
        chart_line(version)
    assert named in (info.value.hint or "")


@pytest.mark.parametrize("version", ["3.0.0", "3.0.1", "3.0.2"])
def test_kubecost_3_0_0_to_3_0_2_are_refused_naming_3_0_3(version: str) -> None:
    with pytest.raises(AmpctlError) as info:
        check_usable(version)
    assert "finopsagent" in info.value.message and "\n" not in info.value.message
    assert "--kubecost-version 3.0.3 or later (for example 3.2.1)" in (info.value.hint or "")


@pytest.mark.parametrize("version", ["2.9.2", "2.9.7"])
def test_2_9_runs_federated_only(version: str) -> None:
    """Defect: 2.9 was refused outright; it is the last AMP line and runs federated."""
    assert check_mode(version, federated=True) is v29.LINE
    with pytest.raises(AmpctlError, match="federated only") as info:
        check_mode(version, federated=False)
    assert "--federated" in (info.value.hint or "")


@pytest.mark.parametrize("version", ["2.0.0", "2.0.2", "2.1.2", "2.2.1"])
def test_2_0_to_2_2_1_refuse_quick_start(version: str) -> None:
    """Defect: the chart fails with its Multi-Cluster-Prometheus Error on quick-start there."""
    with pytest.raises(AmpctlError, match="Multi-Cluster-Prometheus Error") as info:
        check_mode(version, federated=False)
    assert "2.2.2" in (info.value.hint or "")
    assert check_mode(version, federated=True) is v2.LINE
    assert check_mode("2.2.2", federated=False) is v2.LINE


def test_1_97_refuses_federated() -> None:
    """Defect: 1.97.x has no federated ETL; the Secret was mounted and never used."""
    with pytest.raises(AmpctlError, match="no federated ETL") as info:
        check_mode("1.97.0", federated=True)
    assert "1.98.0" in (info.value.hint or "")
    assert check_mode("1.97.0", federated=False) is v1.LINE
    assert check_mode("1.98.0", federated=True) is v1.LINE


def test_default_version_is_the_newest_2x_that_runs_quick_start() -> None:
    assert DEFAULT_VERSION == "2.8.7"
    assert check_mode(DEFAULT_VERSION, federated=False) is v2.LINE


@pytest.mark.parametrize("version", ["2.9.0", "2.9.1"])
@pytest.mark.parametrize("federated", [True, False])
def test_2_9_0_and_2_9_1_are_refused_naming_the_first_that_works(version: str, federated: bool) -> None:
    """Defect: their chart fails unless every cluster keeps the cluster_id label cluster-one."""
    assert chart_line(version) is v29.LINE  # released, and still of the 2.9 line
    for check in (lambda: check_mode(version, federated), lambda: check_usable(version)):
        with pytest.raises(AmpctlError) as info:
            check()
        assert info.value.message.startswith(f"Kubecost {version} cannot run on AMP: its chart fails unless")
        assert "external_labels.cluster_id is the default cluster-one" in info.value.message
        assert "\n" not in info.value.message
        assert info.value.hint == "pass --kubecost-version 2.9.2 or later (for example 2.9.7)"


def test_only_2_9_0_2_9_1_and_3_0_0_to_3_0_2_are_refused() -> None:
    assert sorted(REFUSED) == [(2, 9, 0), (2, 9, 1), (3, 0, 0), (3, 0, 1), (3, 0, 2)]
    usable = [show(v) for v in RELEASED if v not in REFUSED]
    for version in usable:
        assert check_usable(version) is chart_line(version)
    assert check_mode("2.9.2", federated=True) is v29.LINE
