"""Where each cluster stands in a recorded upgrade, and what is no difference from the fleet's shape meanwhile."""

from __future__ import annotations

from ampctl.fleetshape import FEDERATED, FleetShape
from ampctl.fleetstatus.model import ClusterStatus
from ampctl.fleetstatus.upgrade import crosses_lines, differences, judge
from ampctl.upgrade.record import DONE, RUNNING, STOPPED, Progress

TO_3X = Progress("3.2.1", "2.9.7", RUNNING, wave="1/2")


def cluster(version: str, release: str = "deployed", line: str = "2.x") -> ClusterStatus:
    return ClusterStatus("c", chart_version=version, release_status=release, line=line, federated=True,
                         mode=FEDERATED, identity="irsa")  # fmt: skip


def test_each_cluster_on_the_target_upgrading_or_waiting() -> None:
    found = {}
    for name, status in {
        "done": cluster("3.2.1", line="3.x"), "helm busy": cluster("3.2.1", "pending-upgrade", "3.x"),
        "helm failed": cluster("3.2.1", "failed", "3.x"), "not yet": cluster("2.9.7"), "older": cluster("2.8.7"),
        "no release": cluster("", "missing"),
    }.items():  # fmt: skip
        judge(status, TO_3X)
        found[name] = (status.on_target, status.upgrade)
    assert found == {
        "done": (True, "on target"), "helm busy": (True, "upgrading"), "helm failed": (True, "upgrade failed"),
        "not yet": (False, "waiting for the upgrade"), "older": (False, "waiting for the upgrade"),
        "no release": (None, None),
    }  # fmt: skip
    finished = cluster("2.9.7")
    judge(finished, Progress("3.2.1", "2.9.7", DONE))
    assert finished.upgrade == "not on target"
    nothing = cluster("2.9.7")
    judge(nothing, None)
    assert (nothing.on_target, nothing.upgrade) == (None, None)


def test_the_origin_and_the_target_are_no_difference_while_under_way() -> None:
    shape = FleetShape(FEDERATED, "2.9.7", bucket="b")
    assert differences(shape, cluster("3.2.1", line="3.x"), TO_3X) == []
    assert differences(shape, cluster("2.9.7"), Progress("3.2.1", "2.9.7", STOPPED)) == []
    assert differences(shape, cluster("3.2.1", line="3.x"), None) == ["chart line 3.x (3.2.1), the fleet's is 2.x"]
    assert differences(shape, cluster("2.8.7"), TO_3X) == ["chart 2.8.7, the fleet's is 2.9.7"]  # not the upgrade's
    done = Progress("3.2.1", "2.9.7", DONE)
    assert differences(shape, cluster("3.2.1", line="3.x"), done) == ["chart line 3.x (3.2.1), the fleet's is 2.x"]
    pod_identity = cluster("3.2.1", line="3.x")
    pod_identity.identity = "pod-identity"
    assert differences(shape, pod_identity, TO_3X) == ["identity pod-identity, the fleet's is irsa"]


def test_only_an_upgrade_under_way_between_lines_reads_roles_by_each_cluster_line() -> None:
    assert crosses_lines(TO_3X)
    assert not crosses_lines(Progress("2.9.7", "2.8.7", RUNNING))
    assert not crosses_lines(Progress("3.2.1", "2.9.7", DONE)) and not crosses_lines(None)
