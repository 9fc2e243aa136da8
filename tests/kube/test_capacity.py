"""Free capacity on schedulable nodes, and the Kubernetes versions Kubecost tests each line on."""

from __future__ import annotations

from ampctl.kube.capacity import free
from ampctl.provision.steps_capacity import version_note


def node(name: str, **spec: object) -> dict:
    return {
        "metadata": {"name": name},
        "spec": spec,
        "status": {"allocatable": {"cpu": "2", "memory": "1Gi"}, "conditions": [{"type": "Ready", "status": "True"}]},
    }


def pod(on: str, cpu: str, scheduled: bool = True) -> dict:
    conditions = [] if scheduled else [{"type": "PodScheduled", "status": "False"}]
    return {
        "metadata": {"name": "p", "namespace": "x"},
        "status": {"phase": "Running", "conditions": conditions},
        "spec": {"nodeName": on, "containers": [{"resources": {"requests": {"cpu": cpu, "memory": "256Mi"}}}]},
    }


def test_free_counts_only_schedulable_nodes_and_placed_pods() -> None:
    nodes = [node("a"), node("b", unschedulable=True), node("c", taints=[{"effect": "NoSchedule"}])]
    left = free(nodes, [pod("a", "500m"), pod("a", "1", scheduled=False), pod("b", "1")])
    assert list(left) == ["a"] and left["a"]["cpu"] == 1.5 and left["a"]["memory"] == 768 * 2**20


def test_kubernetes_version_against_the_tested_range() -> None:
    assert version_note("1.30", "2.8.7") == (True, "1.30, within 1.22-1.34 (tested by Kubecost)")
    assert version_note("1.35", "2.9.7")[0] is False
    assert version_note("1.35", "1.108.1") == (True, "1.35")  # no published range: nothing said
