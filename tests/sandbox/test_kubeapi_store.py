"""The Kubernetes API emulator's store, selectors, patches and protobuf decoding, without HTTP."""

from __future__ import annotations

import base64
import threading
from typing import Any

import pytest

from ampctl.sandbox.kubeapi import ApiError, ObjectStore
from ampctl.sandbox.kubeapi import protobuf as pb
from ampctl.sandbox.kubeapi.patches import json_patch, merge_patch, strategic_merge_patch
from ampctl.sandbox.kubeapi.selectors import parse_field_selector, parse_label_selector


def cm(name: str, namespace: str = "default", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "data": {"k": name},
    }


def deployment(name: str, image: str = "nginx:1", sa: str = "default", replicas: int = 1) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"serviceAccountName": sa, "containers": [{"name": "main", "image": image}]},
            },
        },
    }


@pytest.fixture()
def store() -> ObjectStore:
    from ampctl.sandbox.kubeapi.controller import Controller

    s = ObjectStore("unit")
    Controller(s)
    return s


def test_fresh_store_has_default_namespaces_and_accounts(store: ObjectStore) -> None:
    names = {n["metadata"]["name"] for n in store.list("v1", "namespaces")}
    assert {"default", "kube-system", "kube-public"} <= names
    assert store.get("v1", "serviceaccounts", "kube-system", "default") is not None


def test_create_fills_metadata_and_rejects_duplicates(store: ObjectStore) -> None:
    created = store.create("v1", "configmaps", cm("a"))
    meta = created["metadata"]
    assert meta["uid"] and meta["creationTimestamp"] and meta["generation"] == 1
    assert int(meta["resourceVersion"]) > 0
    with pytest.raises(ApiError) as err:
        store.create("v1", "configmaps", cm("a"))
    assert err.value.code == 409 and err.value.reason == "AlreadyExists"
    assert err.value.status["details"] == {"name": "a", "kind": "configmaps"}


def test_namespaced_object_needs_its_namespace(store: ObjectStore) -> None:
    with pytest.raises(ApiError) as err:
        store.create("v1", "configmaps", cm("a", "missing"))
    assert err.value.code == 404 and err.value.reason == "NotFound"
    assert err.value.message == 'namespaces "missing" not found'


def test_returned_objects_are_copies(store: ObjectStore) -> None:
    store.create("v1", "configmaps", cm("a"))
    got = store.get("v1", "configmaps", "default", "a")
    assert got is not None
    got["data"]["k"] = "changed"
    assert store.get("v1", "configmaps", "default", "a")["data"]["k"] == "a"  # type: ignore[index]


def test_replace_checks_resource_version_and_bumps_generation(store: ObjectStore) -> None:
    first = store.create("v1", "configmaps", cm("a"))
    body = cm("a")
    body["data"] = {"only": "this"}
    body["metadata"]["resourceVersion"] = first["metadata"]["resourceVersion"]
    second = store.replace("v1", "configmaps", body)
    assert second["data"] == {"only": "this"}
    assert second["metadata"]["generation"] == 2
    assert second["metadata"]["uid"] == first["metadata"]["uid"]
    with pytest.raises(ApiError) as err:
        store.replace("v1", "configmaps", body)  # stale resourceVersion
    assert err.value.code == 409 and err.value.reason == "Conflict"


def test_unchanged_replace_keeps_resource_version(store: ObjectStore) -> None:
    first = store.create("v1", "configmaps", cm("a"))
    again = store.replace("v1", "configmaps", cm("a"))
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_label_selector_grammar() -> None:
    labels = {"app": "web", "tier": "front", "n": "5"}
    cases = {
        "app=web": True,
        "app==web": True,
        "app!=web": False,
        "app in (web,api)": True,
        "app notin (web)": False,
        "tier": True,
        "!tier": False,
        "missing": False,
        "!missing": True,
        "app=web,tier in (front, back)": True,
        "n>3": True,
        "n<3": False,
        "": True,
    }
    for text, expected in cases.items():
        assert parse_label_selector(text).matches(labels) is expected, text
    with pytest.raises(ApiError) as err:
        parse_label_selector("app in web")
    assert err.value.code == 400


def test_field_selector() -> None:
    obj = {"metadata": {"name": "a", "namespace": "ns"}, "type": "Opaque"}
    assert parse_field_selector("metadata.name=a,metadata.namespace==ns").matches(obj)
    assert not parse_field_selector("metadata.name!=a").matches(obj)
    assert parse_field_selector("type=Opaque").matches(obj)


def test_list_filters(store: ObjectStore) -> None:
    store.create("v1", "configmaps", cm("a", app="x"))
    store.create("v1", "configmaps", cm("b", app="y"))
    store.create("v1", "configmaps", cm("c"))
    names = lambda sel: [o["metadata"]["name"] for o in store.list("v1", "configmaps", "default", sel)]  # noqa: E731
    assert names("app") == ["a", "b"]
    assert names("app notin (x)") == ["b", "c"]
    assert [o["metadata"]["name"] for o in store.list("v1", "configmaps", None, None, "metadata.name=c")] == ["c"]


def test_strategic_merge_patch_merges_named_lists() -> None:
    target = {
        "spec": {
            "containers": [
                {"name": "a", "image": "1", "env": [{"name": "X", "value": "1"}]},
                {"name": "b", "image": "1"},
            ]
        }
    }
    patch = {
        "spec": {
            "containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}]}, {"name": "b", "$patch": "delete"}],
            "$setElementOrder/containers": [{"name": "a"}],
        }
    }
    result = strategic_merge_patch(target, patch)
    assert result == {
        "spec": {
            "containers": [
                {"name": "a", "image": "1", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]}
            ]
        }
    }


def test_merge_and_json_patch() -> None:
    assert merge_patch({"a": {"b": 1, "c": 2}}, {"a": {"b": None, "d": 3}}) == {"a": {"c": 2, "d": 3}}
    doc = {"a": [1, 2], "b": {"c": "x"}}
    ops = [
        {"op": "add", "path": "/a/-", "value": 3},
        {"op": "remove", "path": "/a/0"},
        {"op": "replace", "path": "/b/c", "value": "y"},
        {"op": "test", "path": "/b/c", "value": "y"},
        {"op": "add", "path": "/b/d~1e", "value": True},
    ]
    assert json_patch(doc, ops) == {"a": [2, 3], "b": {"c": "y", "d/e": True}}
    assert doc == {"a": [1, 2], "b": {"c": "x"}}
    with pytest.raises(ApiError) as err:
        json_patch(doc, [{"op": "test", "path": "/b/c", "value": "nope"}])
    assert err.value.code == 422


def test_server_side_apply_creates_then_prunes_fields(store: ObjectStore) -> None:
    applied = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"a": "1", "b": "2"}}
    obj, created = store.patch(
        "v1", "configmaps", "default", "ssa", "application/apply-patch+yaml", applied, field_manager="m"
    )
    assert created and obj["data"] == {"a": "1", "b": "2"}
    store.patch("v1", "configmaps", "default", "ssa", "application/merge-patch+json", {"data": {"other": "x"}})
    applied["data"] = {"a": "3"}
    obj, created = store.patch(
        "v1", "configmaps", "default", "ssa", "application/apply-patch+yaml", applied, field_manager="m"
    )
    assert not created
    assert obj["data"] == {"a": "3", "other": "x"}
    assert [e["manager"] for e in obj["metadata"]["managedFields"]] == ["m"]


def test_dry_run_does_not_persist(store: ObjectStore) -> None:
    store.create("v1", "configmaps", cm("dry"), dry_run=True)
    assert store.get("v1", "configmaps", "default", "dry") is None


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _field(number: int, value: bytes | int) -> bytes:
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _entry(number: int, key: str, value: bytes) -> bytes:
    return _field(number, _field(1, key.encode()) + _field(2, value))


def test_protobuf_secret_is_decoded() -> None:
    meta = (
        _field(1, b"sh.helm.release.v1.r.v1")
        + _field(3, b"apps")
        + _field(6, b"42")
        + _entry(11, "owner", b"helm")
        + _entry(11, "status", b"deployed")
        + _entry(12, "note", b"x")
    )
    secret = _field(1, meta) + _entry(2, "release", b"\x00\xffbinary") + _field(3, b"helm.sh/release.v1") + _field(5, 1)
    unknown = (
        _field(1, _field(1, b"v1") + _field(2, b"Secret")) + _field(2, secret) + _field(4, pb.CONTENT_TYPE.encode())
    )
    obj = pb.decode(pb.MAGIC + unknown)
    assert obj == {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "immutable": True,
        "metadata": {
            "name": "sh.helm.release.v1.r.v1",
            "namespace": "apps",
            "resourceVersion": "42",
            "labels": {"owner": "helm", "status": "deployed"},
            "annotations": {"note": "x"},
        },
        "data": {"release": base64.b64encode(b"\x00\xffbinary").decode()},
    }
    with pytest.raises(ApiError):
        pb.decode(b"not protobuf")


def test_deployment_controller_and_garbage_collection(store: ObjectStore) -> None:
    store.create("apps/v1", "deployments", deployment("web", replicas=2))
    dep = store.get("apps/v1", "deployments", "default", "web")
    assert dep is not None
    status = dep["status"]
    assert status["readyReplicas"] == status["availableReplicas"] == status["updatedReplicas"] == 2
    assert status["observedGeneration"] == dep["metadata"]["generation"]
    assert {c["type"]: c["reason"] for c in status["conditions"]} == {
        "Available": "MinimumReplicasAvailable",
        "Progressing": "NewReplicaSetAvailable",
    }
    [rs] = store.list("apps/v1", "replicasets", "default")
    owner = rs["metadata"]["ownerReferences"][0]
    assert owner["uid"] == dep["metadata"]["uid"] and owner["controller"] is True
    pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", "pod-template-hash": pod_hash}
    pods = store.list("v1", "pods", "default", f"pod-template-hash={pod_hash}")
    assert len(pods) == 2
    for pod in pods:
        assert pod["metadata"]["name"].startswith(rs["metadata"]["name"] + "-")
        assert len(pod["metadata"]["name"]) == len(rs["metadata"]["name"]) + 6
        assert pod["status"]["phase"] == "Running"
        assert pod["spec"]["serviceAccountName"] == "default"
    store.delete("apps/v1", "deployments", "default", "web")
    assert store.list("apps/v1", "replicasets", "default") == []
    assert store.list("v1", "pods", "default") == []


def test_template_change_rolls_out_a_new_replicaset(store: ObjectStore) -> None:
    store.create("apps/v1", "deployments", deployment("web"))
    body = deployment("web", image="nginx:2")
    store.replace("apps/v1", "deployments", body)
    sets = {
        rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs
        for rs in store.list("apps/v1", "replicasets", "default")
    }
    assert sets["nginx:1"]["spec"]["replicas"] == 0 and sets["nginx:2"]["spec"]["replicas"] == 1
    [pod] = store.list("v1", "pods", "default")
    assert pod["spec"]["containers"][0]["image"] == "nginx:2"
    dep = store.get("apps/v1", "deployments", "default", "web")
    assert dep is not None and dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"


def test_missing_service_account_blocks_pods_until_created(store: ObjectStore) -> None:
    store.create("apps/v1", "deployments", deployment("web", sa="kubecost"))
    dep = store.get("apps/v1", "deployments", "default", "web")
    assert dep is not None and not dep["status"].get("readyReplicas")
    failure = {c["type"]: c for c in dep["status"]["conditions"]}["ReplicaFailure"]
    assert 'serviceaccount "kubecost" not found' in failure["message"]
    store.create("v1", "serviceaccounts", {"metadata": {"name": "kubecost", "namespace": "default"}})
    dep = store.get("apps/v1", "deployments", "default", "web")
    assert dep is not None and dep["status"]["readyReplicas"] == 1


def test_pvc_binding_can_be_held(store: ObjectStore) -> None:
    from ampctl.sandbox.kubeapi.controller import Controller

    controller = Controller(ObjectStore("other"))
    controller.set_pvc_binding(False)
    s = controller.store
    claim = {
        "metadata": {"name": "data", "namespace": "default"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}},
    }
    s.create("v1", "persistentvolumeclaims", claim)
    dep = deployment("db")
    dep["spec"]["template"]["spec"]["volumes"] = [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]
    s.create("apps/v1", "deployments", dep)
    [pod] = s.list("v1", "pods", "default")
    assert pod["status"]["phase"] == "Pending"
    assert s.get("v1", "persistentvolumeclaims", "default", "data")["status"]["phase"] == "Pending"  # type: ignore[index]
    controller.set_pvc_binding(True)
    pvc = s.get("v1", "persistentvolumeclaims", "default", "data")
    assert pvc is not None and pvc["status"] == {
        "phase": "Bound",
        "accessModes": ["ReadWriteOnce"],
        "capacity": {"storage": "2Gi"},
    }
    [pod] = s.list("v1", "pods", "default")
    assert pod["status"]["phase"] == "Running"
    assert s.get("apps/v1", "deployments", "default", "db")["status"]["readyReplicas"] == 1  # type: ignore[index]


def test_statefulset_daemonset_and_job(store: ObjectStore) -> None:
    labels = {"app": "db"}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "db", "image": "pg"}]}}
    store.create(
        "apps/v1",
        "statefulsets",
        {
            "metadata": {"name": "db", "namespace": "default"},
            "spec": {
                "replicas": 2,
                "serviceName": "db",
                "selector": {"matchLabels": labels},
                "template": template,
                "volumeClaimTemplates": [
                    {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}
                ],
            },
        },
    )
    sts = store.get("apps/v1", "statefulsets", "default", "db")
    assert sts is not None
    assert sts["status"]["readyReplicas"] == 2
    assert sts["status"]["currentRevision"] == sts["status"]["updateRevision"]
    assert {p["metadata"]["name"] for p in store.list("v1", "pods", "default", "app=db")} == {"db-0", "db-1"}
    assert store.get("v1", "persistentvolumeclaims", "default", "data-db-1")["status"]["phase"] == "Bound"  # type: ignore[index]
    store.create(
        "apps/v1",
        "daemonsets",
        {
            "metadata": {"name": "agent", "namespace": "default"},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {"metadata": {"labels": {"app": "agent"}}, "spec": template["spec"]},
            },
        },
    )
    ds = store.get("apps/v1", "daemonsets", "default", "agent")
    assert ds is not None and ds["status"]["numberReady"] == ds["status"]["desiredNumberScheduled"] == 1
    store.create(
        "batch/v1",
        "jobs",
        {
            "metadata": {"name": "once", "namespace": "default"},
            "spec": {"template": {"spec": {**template["spec"], "restartPolicy": "Never"}}},
        },
    )
    job = store.get("batch/v1", "jobs", "default", "once")
    assert job is not None and job["status"]["succeeded"] == 1
    assert any(c["type"] == "Complete" and c["status"] == "True" for c in job["status"]["conditions"])


def test_namespace_deletion_takes_its_content(store: ObjectStore) -> None:
    store.create("v1", "namespaces", {"metadata": {"name": "gone"}})
    store.create("v1", "configmaps", cm("a", "gone"))
    store.create("apps/v1", "deployments", {**deployment("web"), "metadata": {"name": "web", "namespace": "gone"}})
    store.delete("v1", "namespaces", None, "gone")
    assert store.get("v1", "namespaces", None, "gone") is None
    for gv, plural in (("v1", "configmaps"), ("apps/v1", "deployments"), ("v1", "pods"), ("v1", "serviceaccounts")):
        assert store.list(gv, plural, "gone") == []


def test_finalizers_delay_deletion(store: ObjectStore) -> None:
    body = cm("held")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    store.create("v1", "configmaps", body)
    marked = store.delete("v1", "configmaps", "default", "held")
    assert marked["metadata"]["deletionTimestamp"]
    store.patch(
        "v1", "configmaps", "default", "held", "application/merge-patch+json", {"metadata": {"finalizers": None}}
    )
    assert store.get("v1", "configmaps", "default", "held") is None


def test_subscribers_run_outside_the_lock(store: ObjectStore) -> None:
    seen: list[tuple[str, str]] = []

    def callback(event: str, group_version: str, plural: str, obj: dict[str, Any]) -> None:
        if plural != "configmaps":
            return
        result: list[Any] = []
        reader = threading.Thread(target=lambda: result.append(store.list("v1", "configmaps")))
        reader.start()
        reader.join(timeout=2)
        assert result, "the store lock was held during the callback"
        seen.append((event, obj["metadata"]["name"]))

    store.subscribe(callback)
    store.create("v1", "configmaps", cm("a"))
    store.patch("v1", "configmaps", "default", "a", "application/merge-patch+json", {"data": {"x": "y"}})
    store.delete("v1", "configmaps", "default", "a")
    assert seen == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]


def test_history_is_bounded() -> None:
    store = ObjectStore("small", history=100)
    for n in range(150):
        store.patch(
            "v1",
            "configmaps",
            "default",
            "churn",
            "application/apply-patch+yaml",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "churn"}, "data": {"n": str(n)}},
            field_manager="t",
        )
    assert len(store.hub.history) == 100
    from ampctl.sandbox.kubeapi.selectors import FieldSelector, LabelSelector
    from ampctl.sandbox.kubeapi.watch import Watcher

    with pytest.raises(ApiError) as err:
        store.watch(Watcher("v1", "configmaps", None, LabelSelector(), FieldSelector()), "1")
    assert err.value.code == 410


def test_identical_apply_is_a_no_op(store: ObjectStore) -> None:
    applied = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "same"}, "data": {"a": "1"}}
    first, _ = store.patch(
        "v1", "configmaps", "default", "same", "application/apply-patch+yaml", applied, field_manager="m"
    )
    again, created = store.patch(
        "v1", "configmaps", "default", "same", "application/apply-patch+yaml", applied, field_manager="m"
    )
    assert not created and again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
