"""The Kubernetes API emulator over HTTP, driven by the official `kubernetes` Python client."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from ampctl.sandbox.kubeapi import KubeEmulator

NS = "client-tests"


@pytest.fixture(scope="module")
def emulator() -> Iterator[KubeEmulator]:
    emu = KubeEmulator(["sandbox-primary", "sandbox-east"])
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def kubeconfig(emulator: KubeEmulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kube") / "config"
    path.write_text(yaml.safe_dump(emulator.kubeconfig()))
    return path


@pytest.fixture(scope="module")
def api(kubeconfig: Path) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(kubeconfig), context="sandbox-primary")


@pytest.fixture(scope="module")
def core(api: client.ApiClient) -> client.CoreV1Api:
    v1 = client.CoreV1Api(api)
    v1.create_namespace({"metadata": {"name": NS}})
    return v1


@pytest.fixture(scope="module")
def apps(api: client.ApiClient, core: client.CoreV1Api) -> client.AppsV1Api:
    return client.AppsV1Api(api)


def raw(
    emulator: KubeEmulator,
    path: str,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
    cluster: str = "sandbox-primary",
) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        emulator.url(cluster) + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def reason(exc: ApiException) -> str:
    return str(json.loads(exc.body)["reason"])


def test_namespaces_are_cluster_scoped(core: client.CoreV1Api) -> None:
    core.create_namespace({"metadata": {"name": "scratch", "labels": {"team": "a"}}})
    ns = core.read_namespace("scratch")
    assert ns.status.phase == "Active" and ns.metadata.labels["team"] == "a"
    assert "scratch" in [n.metadata.name for n in core.list_namespace().items]
    assert [n.metadata.name for n in core.list_namespace(label_selector="team=a").items] == ["scratch"]
    with pytest.raises(ApiException) as err:
        core.create_namespace({"metadata": {"name": "scratch"}})
    assert err.value.status == 409 and reason(err.value) == "AlreadyExists"
    core.delete_namespace("scratch")
    with pytest.raises(ApiException) as err:
        core.read_namespace("scratch")
    assert err.value.status == 404 and reason(err.value) == "NotFound"
    with pytest.raises(ApiException) as err:
        core.create_namespaced_secret("scratch", {"metadata": {"name": "s"}})
    body = json.loads(err.value.body)
    assert (err.value.status, body["reason"], body["message"]) == (404, "NotFound", 'namespaces "scratch" not found')


def test_crud_on_core_kinds(core: client.CoreV1Api) -> None:
    core.create_namespaced_secret(NS, {"metadata": {"name": "creds"}, "stringData": {"user": "me"}})
    secret = core.read_namespaced_secret("creds", NS)
    assert secret.data == {"user": "bWU="} and secret.type == "Opaque"
    sa = core.create_namespaced_service_account(
        NS, {"metadata": {"name": "runner", "annotations": {"eks.amazonaws.com/role-arn": "x"}}}
    )
    assert sa.metadata.uid and sa.metadata.namespace == NS
    core.create_namespaced_config_map(NS, {"metadata": {"name": "settings"}, "data": {"a": "1"}})
    svc = core.create_namespaced_service(
        NS, {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80}]}}
    )
    assert svc.spec.cluster_ip.startswith("10.96.") and svc.spec.ports[0].target_port == 80
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map(NS, {"metadata": {"name": "settings"}})
    body = json.loads(err.value.body)
    assert body["kind"] == "Status" and body["reason"] == "AlreadyExists"
    assert body["details"] == {"name": "settings", "kind": "configmaps"}
    core.delete_namespaced_config_map("settings", NS, body=client.V1DeleteOptions(propagation_policy="Foreground"))
    with pytest.raises(ApiException) as err:
        core.delete_namespaced_config_map("settings", NS)
    assert reason(err.value) == "NotFound"


def test_label_and_field_selectors(core: client.CoreV1Api) -> None:
    for name, labels in (
        ("s1", {"owner": "helm", "name": "a"}),
        ("s2", {"owner": "helm", "name": "b"}),
        ("s3", {"owner": "other"}),
    ):
        core.create_namespaced_secret(NS, {"metadata": {"name": name, "labels": labels}})

    def names(**kw: str) -> list[str]:
        return sorted(
            s.metadata.name for s in core.list_namespaced_secret(NS, **kw).items if s.metadata.name.startswith("s")
        )

    assert names(label_selector="owner=helm,name=a") == ["s1"]
    assert names(label_selector="owner==helm") == ["s1", "s2"]
    assert names(label_selector="owner!=helm") == ["s3"]
    assert names(label_selector="name in (a,b)") == ["s1", "s2"]
    assert names(label_selector="owner,name notin (a)") == ["s2", "s3"]
    assert names(label_selector="owner=helm,name notin (a)") == ["s2"]
    assert names(label_selector="!name") == ["s3"]
    assert names(field_selector="metadata.name=s2") == ["s2"]
    assert names(field_selector=f"metadata.namespace={NS},metadata.name!=s2") == ["s1", "s3"]
    with pytest.raises(ApiException) as err:
        core.list_namespaced_secret(NS, label_selector="name in a")
    assert err.value.status == 400 and reason(err.value) == "BadRequest"


def test_put_replaces_and_checks_resource_version(core: client.CoreV1Api) -> None:
    created = core.create_namespaced_config_map(NS, {"metadata": {"name": "replace-me"}, "data": {"a": "1", "b": "2"}})
    created.data = {"c": "3"}
    replaced = core.replace_namespaced_config_map("replace-me", NS, created)
    assert replaced.data == {"c": "3"}
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    assert replaced.metadata.uid == created.metadata.uid
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("replace-me", NS, created)  # stale resourceVersion
    assert err.value.status == 409 and reason(err.value) == "Conflict"
    created.metadata.resource_version = None
    created.data = {"d": "4"}
    assert core.replace_namespaced_config_map("replace-me", NS, created).data == {"d": "4"}


def deployment(name: str, image: str = "nginx:1.27") -> dict[str, Any]:
    labels = {"app": name}
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {"name": "web", "image": image, "env": [{"name": "A", "value": "1"}]},
                        {"name": "sidecar", "image": "proxy:1"},
                    ]
                },
            },
        },
    }


def merge_patch(apps: client.AppsV1Api, name: str, body: dict) -> client.V1Deployment:
    """A JSON merge patch (RFC 7386): the typed client sends mappings as strategic merge patches."""
    return apps.api_client.call_api(
        f"/apis/apps/v1/namespaces/{NS}/deployments/{name}", "PATCH",
        header_params={"Content-Type": "application/merge-patch+json", "Accept": "application/json"},
        body=body, response_type="V1Deployment", auth_settings=["BearerToken"], _return_http_data_only=True,
    )  # fmt: skip


def test_deployments_patches_and_rollout(apps: client.AppsV1Api, core: client.CoreV1Api) -> None:
    apps.create_namespaced_deployment(NS, deployment("web"))
    dep = apps.read_namespaced_deployment("web", NS)
    assert dep.status.ready_replicas == 2 and dep.status.observed_generation == dep.metadata.generation == 1
    pods = core.list_namespaced_pod(NS, label_selector="app=web").items
    assert len(pods) == 2 and all(p.status.phase == "Running" for p in pods)

    patch = {"spec": {"template": {"spec": {"containers": [{"name": "web", "env": [{"name": "B", "value": "2"}]}]}}}}
    dep = apps.patch_namespaced_deployment("web", NS, patch)  # a mapping goes as a strategic merge patch
    web, sidecar = dep.spec.template.spec.containers
    assert [e.name for e in web.env] == ["A", "B"] and sidecar.image == "proxy:1"
    assert dep.metadata.generation == 2

    dep = merge_patch(apps, "web", {"metadata": {"labels": {"app": None, "tier": "front"}}})
    assert dep.metadata.labels == {"tier": "front"}
    dep = apps.patch_namespaced_deployment(
        "web",
        NS,
        [
            {"op": "test", "path": "/spec/replicas", "value": 2},
            {"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": "proxy:2"},
        ],
    )
    assert dep.spec.template.spec.containers[1].image == "proxy:2"
    with pytest.raises(ApiException) as err:
        apps.patch_namespaced_deployment(
            "web",
            NS,
            [{"op": "test", "path": "/spec/replicas", "value": 5}],  # a list goes as a JSON patch
        )
    assert err.value.status == 422

    dep = apps.read_namespaced_deployment("web", NS)
    assert dep.status.updated_replicas == 2 and dep.status.ready_replicas == 2
    sets = apps.list_namespaced_replica_set(NS, label_selector="app=web").items
    live = [rs for rs in sets if rs.spec.replicas]
    assert len(live) == 1 and len(sets) == 3
    pods = core.list_namespaced_pod(NS, label_selector="app=web").items
    assert {p.metadata.labels["pod-template-hash"] for p in pods} == {live[0].metadata.labels["pod-template-hash"]}
    assert all(p.spec.containers[1].image == "proxy:2" for p in pods)

    apps.delete_namespaced_deployment("web", NS, propagation_policy="Background")
    assert apps.list_namespaced_replica_set(NS, label_selector="app=web").items == []
    assert core.list_namespaced_pod(NS, label_selector="app=web").items == []


def test_watch_streams_events_with_selectors(core: client.CoreV1Api) -> None:
    start = core.list_namespaced_config_map(NS).metadata.resource_version

    def churn() -> None:
        core.create_namespaced_config_map(NS, {"metadata": {"name": "w1", "labels": {"watch": "yes"}}})
        core.create_namespaced_config_map(NS, {"metadata": {"name": "w2"}})
        core.patch_namespaced_config_map("w1", NS, {"data": {"x": "1"}})
        core.delete_namespaced_config_map("w1", NS)

    worker = threading.Thread(target=churn)
    worker.start()
    events = []
    stream = watch.Watch()
    for event in stream.stream(
        core.list_namespaced_config_map, NS, label_selector="watch=yes", resource_version=start, timeout_seconds=5
    ):
        events.append((event["type"], event["object"].metadata.name))
        if event["type"] == "DELETED":
            stream.stop()
    worker.join()
    assert events == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]

    seen = [
        e["object"].metadata.name for e in watch.Watch().stream(core.list_namespaced_config_map, NS, timeout_seconds=1)
    ]
    assert "w2" in seen  # without resourceVersion the current objects come first as ADDED


def test_dry_run_and_list_metadata(emulator: KubeEmulator, core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map(NS, {"metadata": {"name": "dry"}}, dry_run="All")
    with pytest.raises(ApiException):
        core.read_namespaced_config_map("dry", NS)
    status, _h, body = raw(emulator, f"/api/v1/namespaces/{NS}/configmaps?resourceVersion=0&limit=1")
    listing = json.loads(body)
    assert status == 200 and listing["kind"] == "ConfigMapList" and listing["apiVersion"] == "v1"
    assert int(listing["metadata"]["resourceVersion"]) > 0 and listing["metadata"]["continue"]
    status, _h, body = raw(emulator, "/apis/apps/v1/deployments")
    assert json.loads(body)["kind"] == "DeploymentList" and json.loads(body)["apiVersion"] == "apps/v1"


def test_errors_are_status_objects(emulator: KubeEmulator) -> None:
    status, _h, body = raw(emulator, f"/api/v1/namespaces/{NS}/configmaps", "POST", {"metadata": {"name": "Bad_Name"}})
    err = json.loads(body)
    assert (status, err["kind"], err["reason"], err["details"]["causes"][0]["field"]) == (
        422,
        "Status",
        "Invalid",
        "metadata.name",
    )
    status, _h, body = raw(
        emulator, f"/api/v1/namespaces/{NS}/configmaps", "POST", {"metadata": {"name": "x"}, "kind": "Secret"}
    )
    assert (status, json.loads(body)["reason"]) == (400, "BadRequest")
    status, _h, body = raw(emulator, "/api/v1/namespaces", "PUT", {})
    assert (status, json.loads(body)["reason"]) == (405, "MethodNotAllowed")
    status, _h, body = raw(emulator, "/apis/apps/v1/widgets")
    assert (status, json.loads(body)["reason"]) == (404, "NotFound")


def test_discovery_and_openapi(emulator: KubeEmulator) -> None:
    def get(path: str, accept: str = "application/json") -> tuple[dict[str, str], bytes]:
        status, headers, body = raw(emulator, path, headers={"Accept": accept})
        assert status == 200, path
        return headers, body

    assert json.loads(get("/api")[1])["versions"] == ["v1"]
    core_list = json.loads(get("/api/v1")[1])
    assert core_list["groupVersion"] == "v1"
    by_name = {r["name"]: r for r in core_list["resources"]}
    assert by_name["namespaces"]["namespaced"] is False and by_name["secrets"]["kind"] == "Secret"
    assert "pods/log" in by_name and "services/proxy" in by_name
    groups = {g["name"]: g for g in json.loads(get("/apis")[1])["groups"]}
    assert groups["apps"]["preferredVersion"]["groupVersion"] == "apps/v1"
    assert {"rbac.authorization.k8s.io", "batch", "networking.k8s.io", "policy"} <= set(groups)
    apps_list = json.loads(get("/apis/apps/v1")[1])
    assert {r["name"]: r["verbs"] for r in apps_list["resources"]}["deployments"][-1] == "watch"
    variant = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    headers, body = get("/apis", variant + ",application/json")
    assert headers["Content-Type"] == variant
    assert json.loads(body)["kind"] == "APIGroupDiscoveryList"
    assert json.loads(get("/version")[1])["gitVersion"] == "v1.31.0"
    headers, body = get("/openapi/v2", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
    assert body.startswith(b"\n\x032.0")
    root = json.loads(get("/openapi/v3")[1])
    url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
    document = json.loads(get(url)[1])
    patch = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
    for path in ("/healthz", "/readyz", "/livez"):
        assert get(path)[1] == b"ok"


class Backend(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.dumps(
            {"method": self.command, "path": self.path, "body": self.rfile.read(length).decode()}
        ).encode()
        self.send_response(299 if "teapot" in self.path else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_service_proxy(emulator: KubeEmulator, core: client.CoreV1Api, backend: str) -> None:
    core.create_namespaced_service(
        NS,
        {
            "metadata": {"name": "cost"},
            "spec": {"ports": [{"name": "tcp-model", "port": 9003}, {"name": "tcp-frontend", "port": 9090}]},
        },
    )
    base = f"/api/v1/namespaces/{NS}/services"
    status, _h, body = raw(emulator, f"{base}/cost:tcp-model/proxy/prometheusQuery?query=up")
    assert (status, json.loads(body)["reason"]) == (503, "ServiceUnavailable")
    emulator.register_service_backend("sandbox-primary", NS, "cost", "tcp-model", backend + "/root")
    emulator.register_service_backend("sandbox-primary", NS, "cost", 9090, backend)
    for ref in ("cost:tcp-model", "cost:9003", "http:cost:tcp-model", "cost"):
        status, headers, body = raw(emulator, f"{base}/{ref}/proxy/prometheusQuery?query=up")
        assert status == 200 and headers["Content-Type"] == "application/json"
        assert json.loads(body) == {"method": "GET", "path": "/root/prometheusQuery?query=up", "body": ""}
    status, _h, body = raw(emulator, f"{base}/cost:tcp-frontend/proxy/model/x", "POST", {"q": 1})
    assert json.loads(body) == {"method": "POST", "path": "/model/x", "body": '{"q": 1}'}
    status, _h, _b = raw(emulator, f"{base}/cost:tcp-frontend/proxy/teapot")
    assert status == 299
    response = core.connect_get_namespaced_service_proxy_with_path(
        "cost:tcp-model", NS, "healthz", _preload_content=False
    )
    assert json.loads(response.data)["path"] == "/root/healthz"
    status, _h, body = raw(emulator, f"{base}/nosuch:80/proxy/x")
    assert (status, json.loads(body)["reason"]) == (404, "NotFound")
    emulator.unregister_service_backend("sandbox-primary", NS, "cost", "tcp-model")
    status, _h, _b = raw(emulator, f"{base}/cost:tcp-model/proxy/x")
    assert status == 503


def test_pod_logs(emulator: KubeEmulator, core: client.CoreV1Api) -> None:
    core.create_namespaced_pod(
        NS,
        {
            "metadata": {"name": "logger"},
            "spec": {"containers": [{"name": "app", "image": "x"}, {"name": "sidecar", "image": "y"}]},
        },
    )
    assert core.read_namespaced_pod("logger", NS).status.phase == "Running"
    for n in range(5):
        emulator.append_pod_log("sandbox-primary", NS, "logger", "app", f"line {n}")
    emulator.append_pod_log("sandbox-primary", NS, "logger", "sidecar", "other")
    assert core.read_namespaced_pod_log("logger", NS, container="app") == "".join(f"line {n}\n" for n in range(5))
    assert core.read_namespaced_pod_log("logger", NS, container="app", tail_lines=2) == "line 3\nline 4\n"
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod_log("logger", NS)
    assert err.value.status == 400 and "choose one of: [app sidecar]" in json.loads(err.value.body)["message"]
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod_log("absent", NS, container="app")
    assert err.value.status == 404


def test_clusters_are_isolated_and_resettable(emulator: KubeEmulator, core: client.CoreV1Api) -> None:
    assert emulator.store("sandbox-east").get("v1", "namespaces", None, NS) is None
    east = emulator.store("sandbox-east")
    east.create("v1", "namespaces", {"metadata": {"name": "east-only"}})
    status, _h, body = raw(emulator, "/api/v1/namespaces/east-only", cluster="sandbox-east")
    assert status == 200 and json.loads(body)["metadata"]["name"] == "east-only"
    counts = json.loads(raw(emulator, "/_sandbox/requests", cluster="sandbox-east")[2])
    assert counts == emulator.request_count("sandbox-east") == {"GET": 1}
    status, _h, _b = raw(emulator, "/_sandbox/reset", "POST", cluster="sandbox-east")
    assert status == 200 and east.get("v1", "namespaces", None, "east-only") is None
    assert east.get("v1", "namespaces", None, "default") is not None
    assert emulator.request_count("sandbox-east") == {}
    assert core.read_namespace(NS).metadata.name == NS  # the other cluster is untouched


def test_raw_watch_replay_timeout_and_initial_events(emulator: KubeEmulator, core: client.CoreV1Api) -> None:
    before = core.list_namespaced_service_account(NS).metadata.resource_version
    core.create_namespaced_service_account(NS, {"metadata": {"name": "watched"}})
    core.patch_namespaced_service_account("watched", NS, {"metadata": {"labels": {"x": "y"}}})
    started = time.monotonic()
    status, headers, body = raw(
        emulator, f"/api/v1/namespaces/{NS}/serviceaccounts?watch=1&timeoutSeconds=1&resourceVersion={before}"
    )
    assert status == 200 and 0.9 < time.monotonic() - started < 5
    events = [json.loads(line) for line in body.splitlines()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "watched"),
        ("MODIFIED", "watched"),
    ]
    assert events[1]["object"]["metadata"]["labels"] == {"x": "y"}
    status, _h, body = raw(
        emulator,
        f"/api/v1/namespaces/{NS}/serviceaccounts?watch=true&timeoutSeconds=1"
        "&sendInitialEvents=true&allowWatchBookmarks=true"
        "&resourceVersionMatch=NotOlderThan&labelSelector=x%3Dy",
    )
    events = [json.loads(line) for line in body.splitlines()]
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_apply_with_a_yaml_body_and_access_reviews(emulator: KubeEmulator) -> None:
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  when: 2024-01-01\n  flag: 'on'\n"
    request = urllib.request.Request(
        emulator.url("sandbox-primary") + f"/api/v1/namespaces/{NS}/configmaps/from-yaml?fieldManager=test&force=true",
        data=body,
        method="PATCH",
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        assert json.loads(response.read())["data"] == {"when": "2024-01-01", "flag": "on"}
    status, _h, body = raw(
        emulator,
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        "POST",
        {"spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}}},
    )
    assert status == 201 and json.loads(body)["status"]["allowed"] is True


def test_delete_collection(emulator: KubeEmulator, core: client.CoreV1Api) -> None:
    for n in range(3):
        core.create_namespaced_config_map(NS, {"metadata": {"name": f"bulk{n}", "labels": {"bulk": str(n % 2)}}})
    core.delete_collection_namespaced_config_map(NS, label_selector="bulk=0")
    left = [c.metadata.name for c in core.list_namespaced_config_map(NS, label_selector="bulk").items]
    assert left == ["bulk1"]


def test_concurrent_writers(api: client.ApiClient, apps: client.AppsV1Api, core: client.CoreV1Api) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            ns = f"par{n}"
            core.create_namespace({"metadata": {"name": ns}})
            for m in range(4):
                apps.create_namespaced_deployment(ns, deployment(f"d{m}"))
                core.create_namespaced_config_map(ns, {"metadata": {"name": f"c{m}"}})
            core.delete_namespace(ns)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and not any(t.is_alive() for t in threads)
    names = {n.metadata.name for n in core.list_namespace().items}
    assert not {f"par{n}" for n in range(6)} & names
    assert [p for p in core.list_pod_for_all_namespaces().items if p.metadata.namespace.startswith("par")] == []
