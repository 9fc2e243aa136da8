"""kill -9 at several points of a bootstrap, then the same command again: it converges."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Sandbox
from tests.reliability.world import PRIMARY, aws_calls, inventory, kill_when, set_faults, spawn


def _aws_action(sandbox: Sandbox, action: str) -> Callable[[], bool]:
    return lambda: any(c["action"] == action for c in aws_calls(sandbox))


def _kube_object(sandbox: Sandbox, kind: str) -> Callable[[], bool]:
    core = sandbox.kube(PRIMARY)

    def ready() -> bool:
        if kind == "namespace":
            return any(n.metadata.name == "kubecost" for n in core.list_namespace().items)
        return bool(core.list_secret_for_all_namespaces(label_selector="owner=helm,status=pending-install").items)

    return ready


def _hold_claims(sandbox: Sandbox) -> None:
    """helm --wait then waits for the claims: the release stays pending-install until the kill."""
    url = f"{sandbox.state.clusters[PRIMARY].api_url}/_sandbox/pvc-binding?enabled=false"
    urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=30).close()


def _release_claims(sandbox: Sandbox) -> None:
    url = f"{sandbox.state.clusters[PRIMARY].api_url}/_sandbox/pvc-binding?enabled=true"
    urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=30).close()


POINTS = {
    # AWS calls slowed down so the kill lands while they are made
    "during AWS calls": lambda s: (set_faults(s, latency_ms=30), _aws_action(s, "CreateRole"))[1],
    "between Kubernetes objects": lambda s: _kube_object(s, "namespace"),
    "inside helm": lambda s: (_hold_claims(s), _kube_object(s, "helm"))[1],
}


@pytest.mark.parametrize("point", list(POINTS))
def test_killed_bootstrap_converges_on_rerun(clean: Sandbox, fleet: Path, point: str) -> None:
    ready = POINTS[point](clean)
    proc = spawn(clean, fleet.parent, "bootstrap", "-F", str(fleet))
    assert kill_when(proc, ready), f"the run ended before the {point} kill point: {proc.stderr}"
    set_faults(clean)
    _release_claims(clean)
    left = inventory(clean)["kube"][PRIMARY]
    if point == "inside helm":
        assert "helm/kubecost:pending-install" in left
    again = clean.ampctl("bootstrap", "-F", str(fleet), "--yes", "-o", "json", cwd=fleet.parent)
    assert again.returncode == 0, again.stderr
    world = inventory(clean)
    assert world["workspaces"] == ["ACTIVE"]
    assert len(world["roles"]) == 2 and len(world["policies"]) == 1 and len(world["buckets"]) == 1
    assert "helm/kubecost:deployed" in world["kube"][PRIMARY], world["kube"][PRIMARY]
    assert not [o for o in world["kube"][PRIMARY] if ":pending" in o]
    steps = [s["step"] for s in json.loads(again.stdout)["clusters"][0]["steps"]]
    recovered = [s for s in steps if s.startswith("recover helm release kubecost/kubecost left pending-install")]
    assert len(recovered) == (1 if point == "inside helm" else 0), steps
