"""Two runs at once: on one cluster the second is refused (naming the first) or finds the work done;
on two clusters with one alias, one workspace is left. Nothing is created twice."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.conftest import Sandbox
from tests.reliability.world import EAST, PRIMARY, inventory, set_faults, spawn

BUSY = "is being changed by another ampctl run"


def _leases(sandbox: Sandbox):  # noqa: ANN202 - a CoordinationV1Api
    from kubernetes import client, config

    return client.CoordinationV1Api(config.new_client_from_config(sandbox.state.kubeconfig, sandbox.context(PRIMARY)))


def _lease(sandbox: Sandbox, holder: str, renewed: datetime) -> None:
    api = _leases(sandbox)
    stamp = renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {
        "metadata": {"name": "ampctl-kubecost", "namespace": "kube-system"},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 30, "acquireTime": stamp, "renewTime": stamp},
    }
    api.create_namespaced_lease("kube-system", body)


def test_two_bootstraps_of_one_cluster_after_a_killed_one(clean: Sandbox, fleet: Path) -> None:
    # A killed run elsewhere left its Lease: stale once its duration has passed since the last renewal.
    _lease(clean, "elsewhere/4242/abcd (bootstrap)", datetime.now(timezone.utc) - timedelta(seconds=31))
    set_faults(clean, latency_ms=15)
    runs = [spawn(clean, fleet.parent, "bootstrap", "-F", str(fleet)) for _ in range(2)]
    results = [(p.wait(timeout=300), p.communicate()[1]) for p in runs]
    assert 0 in [code for code, _ in results], results
    for code, stderr in results:
        assert code == 0 or BUSY in " ".join(stderr.split()), stderr
    set_faults(clean)
    again = clean.ampctl("bootstrap", "-F", str(fleet), "--yes", cwd=fleet.parent)
    assert again.returncode == 0, again.stderr
    world = inventory(clean)
    assert world["workspaces"] == ["ACTIVE"]
    assert len(world["roles"]) == 2 and len(world["buckets"]) == 1
    assert "helm/kubecost:deployed" in world["kube"][PRIMARY]
    leases = _leases(clean).list_namespaced_lease("kube-system").items
    assert [x.metadata.name for x in leases if x.metadata.name.startswith("ampctl-")] == []  # released at the end


def test_two_bootstraps_of_two_clusters_leave_one_workspace(clean: Sandbox, tmp_path: Path) -> None:
    set_faults(clean, latency_ms=15)
    runs = [spawn(clean, tmp_path, "bootstrap", "--context", clean.context(c)) for c in (PRIMARY, EAST)]
    for proc in runs:
        assert proc.wait(timeout=300) == 0, proc.communicate()[1]
        proc.communicate()
    assert [s for s in inventory(clean)["workspaces"] if s != "DELETING"] == ["ACTIVE"]


def test_a_live_lease_refuses_a_run_before_it_changes_anything(clean: Sandbox, fleet: Path) -> None:
    _lease(clean, "elsewhere/4242/abcd (bootstrap)", datetime.now(timezone.utc))
    clean.clear_aws_calls()
    refused = clean.ampctl("bootstrap", "-F", str(fleet), "--yes", cwd=fleet.parent)
    assert refused.returncode == 1
    assert f"cluster {PRIMARY} {BUSY}: elsewhere/4242/abcd (bootstrap)" in " ".join(refused.stderr.split())
    assert clean.aws_mutations() == []
