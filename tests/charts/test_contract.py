"""The contract a working install needs, checked on what every real chart renders from ampctl's values:
every chart in ../shared/charts x primary/agent x federated/quick-start where the line runs it."""

from __future__ import annotations

import posixpath
from collections import Counter

import pytest
import yaml

from ampctl.spec import OBJECT_STORE_SECRET, SA_COST_ANALYZER, SA_PROMETHEUS
from tests.charts.conftest import ACCOUNT, REFUSED, REGION, RUNNABLE, WORKSPACE, Rendered, requires_charts
from tests.charts.contract import (
    NO_AWS,
    WORKLOADS,
    container,
    cost_model,
    env,
    filter_expected,
    flag,
    pod_spec,
    secret_mounts,
)

pytestmark = requires_charts
IDS = [c.id for c in RUNNABLE]
AMP_HOST = f"aps-workspaces.{REGION}.amazonaws.com"


@pytest.fixture(params=IDS)
def r(request: pytest.FixtureRequest, rendered: dict[str, Rendered]) -> Rendered:
    result = rendered[request.param]
    assert result.returncode == 0, f"the chart failed: {result.stderr.strip()}"
    return result


def test_every_chart_line_is_covered() -> None:
    versions = {c.version for c in RUNNABLE}
    assert {"1.103.4", "1.108.1", "2.4.2", "2.8.7", "2.9.7"} <= versions
    assert [c.id for c in REFUSED] == ["2.9.7-primary-quick", "2.9.7-agent-quick"]


def test_no_chart_fail(r: Rendered) -> None:
    assert r.objects, "nothing rendered"
    assert "Error" not in r.stderr


def test_no_object_rendered_twice(r: Rendered) -> None:
    """Defect: on 2.9 with federated storage the finops-agent and cost-analyzer both rendered ConfigMap
    pricing-configs, and a fresh install stopped with `configmaps "pricing-configs" already exists`."""
    seen = Counter((o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in r.objects)
    assert [key for key, count in seen.items() if count > 1] == []
    if r.case.version.startswith("2.9"):  # cost-model reads its renamed pricing ConfigMap
        assert env(cost_model(r))["PRICING_CONFIGMAP_NAME"] == "kubecost-pricing-configs"
        assert r.find("ConfigMap", "kubecost-pricing-configs") is not None


def test_sigv4_proxy_signs_for_the_workspace_region(r: Rendered) -> None:
    sidecar = container(r.find("Deployment", "kubecost-cost-analyzer"), "sigv4proxy")
    assert sidecar is not None
    args = [str(a) for a in sidecar.get("args") or []]
    assert flag(args, "--region") == REGION
    assert flag(args, "--host") == AMP_HOST


def test_cost_model_queries_amp_through_the_sidecar(r: Rendered) -> None:
    config = r.find("ConfigMap", "kubecost-cost-analyzer")
    assert config is not None
    assert config["data"]["prometheus-server-endpoint"] == f"http://localhost:8005/workspaces/{WORKSPACE}"
    source = env(cost_model(r))["PROMETHEUS_SERVER_ENDPOINT"]
    assert source["configMapKeyRef"] == {"name": "kubecost-cost-analyzer", "key": "prometheus-server-endpoint"}


def prometheus_yml(r: Rendered) -> dict:
    config = r.find("ConfigMap", "kubecost-prometheus-server")
    assert config is not None
    return dict(yaml.safe_load(config["data"]["prometheus.yml"]))


def test_exactly_one_remote_write_signed_for_the_workspace_region(r: Rendered) -> None:
    writes = prometheus_yml(r)["remote_write"]
    url = f"https://{AMP_HOST}/workspaces/{WORKSPACE}/api/v1/remote_write"
    assert writes == [{"url": url, "sigv4": {"region": REGION}}]


def test_one_cluster_id_everywhere(r: Rendered) -> None:
    cid = r.spec.cluster
    assert prometheus_yml(r)["global"]["external_labels"]["cluster_id"] == cid
    product = [c["data"] for c in r.of_kind("ConfigMap") if "clusterName" in (c.get("data") or {})]
    assert product == [{"clusterName": cid, "projectID": ACCOUNT}], "kubecostProductConfigs"
    ids = {
        (w["metadata"]["name"], c["name"]): env(c)["CLUSTER_ID"]
        for w in r.of_kind(*WORKLOADS)
        for c in pod_spec(w)["containers"]
        if "CLUSTER_ID" in env(c)
    }
    assert ids.get(("kubecost-cost-analyzer", "cost-model")) == cid
    assert set(ids.values()) == {cid}, ids
    if r.case.version.startswith("2.9"):  # global.clusterId feeds the finops-agent
        assert ids.get(("kubecost-finopsagent", "finops-agent")) == cid


def test_pods_run_as_the_amp_service_accounts_the_chart_does_not_create(r: Rendered) -> None:
    created = {o["metadata"]["name"] for o in r.of_kind("ServiceAccount")}
    assert not {SA_COST_ANALYZER, SA_PROMETHEUS} & created
    assert not [name for name in created if "finops" in name]
    accounts = {w["metadata"]["name"]: pod_spec(w).get("serviceAccountName") for w in r.of_kind(*WORKLOADS)}
    assert accounts["kubecost-cost-analyzer"] == SA_COST_ANALYZER
    assert accounts["kubecost-prometheus-server"] == SA_PROMETHEUS
    for name, account in accounts.items():
        if not any(part in name for part in NO_AWS):
            assert account in (SA_COST_ANALYZER, SA_PROMETHEUS), name
    if r.case.version.startswith("2.9"):
        assert accounts["kubecost-finopsagent"] == SA_COST_ANALYZER


def _reads_store(obj: dict, container_name: str) -> bool:
    """The container's FEDERATED_STORE_CONFIG file sits in a mount of the object-store Secret."""
    path = env(container(obj, container_name)).get("FEDERATED_STORE_CONFIG")
    mounts = secret_mounts(obj, OBJECT_STORE_SECRET)
    return bool(path) and any(path == m or posixpath.dirname(path) == m.rstrip("/") for m in mounts)


def test_object_store_secret_mounted_where_the_line_reads_it(r: Rendered) -> None:
    mounting = {w["metadata"]["name"] for w in r.of_kind(*WORKLOADS) if secret_mounts(w, OBJECT_STORE_SECRET)}
    if not r.case.federated:
        assert mounting == set()
        assert "FEDERATED_CLUSTER" not in env(cost_model(r))
        return
    analyzer = r.find("Deployment", "kubecost-cost-analyzer")
    assert analyzer is not None and _reads_store(analyzer, "cost-model"), "agent upload"
    assert env(cost_model(r))["FEDERATED_CLUSTER"] == "true"
    one_x = r.case.version.startswith("1.")
    if r.case.primary and one_x:
        federator = r.find("Deployment", "kubecost-federator")
        if federator is not None:  # its own Deployment from 1.105
            assert _reads_store(federator, "federator")
        else:
            assert env(cost_model(r))["FEDERATED_FEDERATOR_ENABLED"] == "true"
    elif r.case.primary:
        aggregator = r.find("StatefulSet", "kubecost-aggregator")
        assert aggregator is not None and _reads_store(aggregator, "aggregator")
    else:
        assert r.find("Deployment", "kubecost-federator") is None
        assert r.find("StatefulSet", "kubecost-aggregator") is None
    if r.case.version.startswith("2.9"):
        agent = r.find("Deployment", "kubecost-finopsagent")
        assert agent is not None and secret_mounts(agent, OBJECT_STORE_SECRET) == {"/var/configs/federated-store.yaml"}


def test_cluster_filter_per_role_and_version(r: Rendered) -> None:
    rendered_filter = env(cost_model(r)).get("CURRENT_CLUSTER_ID_FILTER_ENABLED")
    assert rendered_filter == ("true" if filter_expected(r.spec) else None)


def test_cluster_filter_expectations_cover_both_sides(rendered: dict[str, Rendered]) -> None:
    """The filter test above can fail both ways: agents that need it, a 1.x quick-start primary that must not."""
    assert filter_expected(rendered["1.108.1-agent-quick"].spec)
    assert not filter_expected(rendered["1.108.1-primary-quick"].spec)


def _overlay_images(r: Rendered) -> set[str]:
    """Image repositories ampctl's EKS overlay sets (as `image: repo` or `image: {repository: repo}`)."""
    from ampctl.render.values import values_files

    overlay = yaml.safe_load(values_files(r.spec)[0].content)
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "image" and isinstance(value, str):
                    found.add(value)
                elif key == "image" and isinstance(value, dict) and "repository" in value:
                    found.add(str(value["repository"]))
                else:
                    walk(value)

    walk(overlay)
    return found


def test_every_overlay_image_is_rendered_by_the_chart(rendered: dict[str, Rendered]) -> None:
    """Defect: image settings for components the chart does not render (network costs, cluster controller,
    config reloader on 2.x). Each image the overlay sets must show up in some role or mode of the chart."""
    by_version: dict[str, list[Rendered]] = {}
    for result in rendered.values():
        by_version.setdefault(result.case.version, []).append(result)
    for version, results in by_version.items():
        images = {
            str(c["image"])
            for r in results
            for w in r.of_kind(*WORKLOADS)
            for c in [*pod_spec(w)["containers"], *(pod_spec(w).get("initContainers") or [])]
        }
        for wanted in _overlay_images(results[0]):
            assert any(image.startswith(wanted + ":") for image in images), (version, wanted)


def test_1x_keeps_daily_etl_for_120_days(r: Rendered) -> None:
    """Defect: the 1.x overlay set kubecostModel.etlStoreDurationDays, which the chart never reads."""
    days = env(cost_model(r)).get("ETL_DAILY_STORE_DURATION_DAYS")
    assert days == ("120" if r.case.version.startswith("1.") else days)
