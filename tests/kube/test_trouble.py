"""The causes that keep a release from becoming ready, read from pods, claims and events as the API server gives
them."""

from __future__ import annotations

from ampctl.kube.trouble import claim_causes, pod_causes


def test_causes_of_pods_and_claims() -> None:
    meta = {"name": "p", "namespace": "kubecost"}
    crash = {
        "metadata": meta,
        "status": {
            "containerStatuses": [
                {"name": "c", "image": "i", "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}}}
            ]
        },
    }
    pull = {
        "metadata": meta,
        "status": {
            "containerStatuses": [
                {"name": "c", "image": "gcr.io/x:1", "state": {"waiting": {"reason": "ImagePullBackOff"}}}
            ]
        },
    }
    unschedulable = {
        "metadata": meta,
        "spec": {"containers": [{"resources": {"requests": {"cpu": "2"}}}]},
        "status": {
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/1 nodes are available: 1 Insufficient cpu.",
                }
            ]
        },
    }
    found = pod_causes([crash, pull, unschedulable])
    assert [c.reason for c in found] == ["CrashLoopBackOff", "ImagePullBackOff", "FailedScheduling"]
    assert found[0].container == "c" and "gcr.io/x:1" in found[1].what
    assert "missing cpu;" in found[2].message and "requests cpu 2" in found[2].message
    nominated = {"involvedObject": {"kind": "Pod", "name": "p"}, "reason": "Nominated", "lastTimestamp": "1"}
    assert pod_causes([unschedulable], [nominated]) == []  # Karpenter is adding a node for it
    claim = {"metadata": {"name": "v", "namespace": "kubecost"}, "spec": {}, "status": {"phase": "Pending"}}
    event = {
        "involvedObject": {"kind": "PersistentVolumeClaim", "name": "v"},
        "reason": "FailedBinding",
        "message": "no storage class is set",
        "lastTimestamp": "2026-01-01T00:00:00Z",
    }
    assert [c.reason for c in claim_causes([claim], [event])] == ["FailedBinding"]
    assert claim_causes([{**claim, "status": {"phase": "Bound"}}], [event]) == []
