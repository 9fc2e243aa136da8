"""Rendering: golden files for whole render trees, and properties every values set must have."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ampctl.errors import AmpctlError
from ampctl.provision.values import deep_merge
from ampctl.render.command import helm_command
from ampctl.render.objects import (
    federated_store_yaml,
    object_store_secret,
    product_key_secret,
    recording_rules,
    service_account,
)
from ampctl.render.templating import RenderedFile
from ampctl.render.tree import render_all, write_all
from ampctl.render.values import values_files
from ampctl.resources import templates_dir
from ampctl.spec import (
    DEFAULT_CHART,
    OBJECT_STORE_SECRET,
    PRODUCT_KEY_SECRET,
    SA_COST_ANALYZER,
    SA_PROMETHEUS,
    ClusterSpec,
)

GOLDEN = Path(__file__).parent.parent / "golden"
ACCOUNT = "012345678901"
WS = "ws-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
BUCKET = "kubecost-etl-012345678901-us-east-2"


def issuer(region: str) -> str:
    return f"https://oidc.eks.{region}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def make(cluster: str = "prod-east", region: str = "us-east-2", **kw: Any) -> ClusterSpec:
    return ClusterSpec(
        cluster=cluster, region=region, account=ACCOUNT, oidc_issuer=issuer(region), workspace_id=WS, **kw
    )


# case -> (spec, render_all keyword arguments)
CASES: dict[str, tuple[ClusterSpec, dict[str, Any]]] = {
    "v2-federated-primary": (
        make(federated=True, bucket=BUCKET),
        {"product_key": "EXAMPLE-PRODUCT-KEY"},
    ),
    "v2-federated-agent": (
        make("prod-west", primary=False, federated=True, bucket=BUCKET, product_key_secret=PRODUCT_KEY_SECRET),
        {},
    ),
    "v29-federated-primary": (
        make("bridge", federated=True, bucket=BUCKET, chart_version="2.9.7"),
        {"product_key": "EXAMPLE-PRODUCT-KEY"},
    ),
    "v1-federated-primary": (make("legacy-primary", federated=True, bucket=BUCKET, chart_version="1.103.4"), {}),
    "v1-federated-agent": (
        make(
            "legacy-agent",
            primary=False,
            federated=True,
            bucket=BUCKET,
            chart_version="1.108.1",
            prom_cluster_id_label="cluster",
        ),
        {},
    ),
    "v2-quickstart": (
        make("dev", region="eu-west-1", seed_recording_rules=True),
        {
            "extra_values": ["overrides/my values.yaml"],
            "set_values": ["kubecostModel.logLevel=debug"],
            "timeout": "15m",
        },
    ),
    "v2-quickstart-agent": (
        make(
            "analytics-platform-shared-services-eu-central-1-blue-green-canary",
            region="ap-southeast-2",
            primary=False,
            chart_version="2.2.2",
            namespace="cost",
            release="kc",
        ),
        {},
    ),
}


# --- golden trees --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_render_all_matches_golden(case: str) -> None:
    spec, kwargs = CASES[case]
    files = render_all(spec, **kwargs)
    directory = GOLDEN / case
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(directory, ignore_errors=True)
        write_all([dataclasses.replace(f, mode=0o644) for f in files], directory)
    expected = {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}
    actual = {f.name: f.content.encode() for f in files}
    assert sorted(actual) == sorted(expected), "file set differs: regenerate with UPDATE_GOLDEN=1 and review"
    for name, content in actual.items():
        assert content == expected[name], f"{case}/{name} differs: regenerate with UPDATE_GOLDEN=1 and review"


def test_goldens_have_no_stale_cases() -> None:
    assert sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()) == sorted(CASES)


# --- properties of every values set ----------------------------------------------------------------

VERSIONS = ["1.97.0", "1.103.4", "1.104.3", "1.108.1", "2.0.1", "2.2.2", "2.8.7", "2.9.7"]
REGION_RE = re.compile(r"\b[a-z]{2}(?:-[a-z]+)+-\d{1,2}\b")


def runs(version: str, federated: bool) -> bool:
    """Whether ampctl installs this version in this mode (the refusals are tested on their own)."""
    if version.startswith("2.9"):
        return federated
    if version in ("2.0.1",):
        return federated
    return not (version.startswith("1.97") and federated)


def matrix() -> list[ClusterSpec]:
    specs = []
    for version in VERSIONS:
        for primary in (True, False):
            for federated in (True, False):
                if not runs(version, federated):
                    continue
                for label in (None, "cluster"):
                    extra: dict[str, Any] = {"bucket": BUCKET} if federated else {}
                    if federated and version.startswith("2."):
                        extra["product_key_secret"] = PRODUCT_KEY_SECRET
                    specs.append(
                        make(
                            f"c-{version.replace('.', '-')}-{int(primary)}{int(federated)}",
                            region="eu-central-1",
                            chart_version=version,
                            primary=primary,
                            federated=federated,
                            prom_cluster_id_label=label,
                            **extra,
                        )
                    )
    return specs


def merged(spec: ClusterSpec) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for file in values_files(spec):
        data = yaml.safe_load(file.content)
        assert isinstance(data, dict), file.name
        result = deep_merge(result, data)
    return result


def walk(node: Any, path: tuple[str, ...] = ()) -> Any:
    """Yield (path, value) for every leaf and (path, dict) for every map."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, (*path, str(i)))
    else:
        yield path, node


def get(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


FEDERATION_KEYS = [
    "federatedETL.federatedCluster",
    "federatedETL.primaryCluster",
    "federatedETL.agentOnly",
    "federatedETL.federator.enabled",
    "federatedETL.federator.primaryClusterID",
    "kubecostModel.federatedStorageConfigSecret",
    "global.federatedStorage",
    "upgrade",
    "kubecostAggregator",
    "kubecostProductConfigs.productKey",
]


@pytest.mark.parametrize("spec", matrix(), ids=lambda s: s.cluster + ("-label" if s.prom_cluster_id_label else ""))
def test_values_properties(spec: ClusterSpec) -> None:
    v = merged(spec)
    region = spec.region
    assert get(v, "global.amp.enabled") is True
    assert get(v, "global.amp.sigv4.region") == region
    assert get(v, "sigV4Proxy.region") == region
    assert get(v, "sigV4Proxy.host") == f"aps-workspaces.{region}.amazonaws.com"
    assert get(v, "global.amp.remoteWriteService") == (
        f"https://aps-workspaces.{region}.amazonaws.com/workspaces/{WS}/api/v1/remote_write"
    )
    assert get(v, "global.amp.prometheusServerEndpoint") == f"http://localhost:8005/workspaces/{WS}"
    strings = [value for _, value in walk(v) if isinstance(value, str)]
    assert {m for s in strings for m in REGION_RE.findall(s)} == {region}, "exactly one region everywhere"

    assert get(v, "kubecostProductConfigs.clusterName") == spec.cluster
    assert get(v, "prometheus.server.global.external_labels.cluster_id") == spec.cluster
    assert get(v, "kubecostProductConfigs.projectID") == ACCOUNT  # a string, leading zero kept
    assert get(v, "serviceAccount.create") is False
    assert get(v, "serviceAccount.name") == SA_COST_ANALYZER
    assert get(v, "prometheus.serviceAccounts.server.create") is False
    assert get(v, "prometheus.serviceAccounts.server.name") == SA_PROMETHEUS
    bridge = spec.chart_version.startswith("2.9")
    assert get(v, "global.clusterId") == (spec.cluster if bridge else None)
    filter_keys = {"federatedETL.useMultiClusterDB", "federatedETL.federator.useMultiClusterDB"}
    filter_set = {key for key in filter_keys if get(v, key) is not None}
    sees_fleet = spec.line.family == "1.x" and spec.primary and not spec.federated
    if spec.chart_version in ("1.97.0", "1.103.4") or sees_fleet:
        assert filter_set == set(), "no key renders the filter there, or the primary must see the fleet"
    elif spec.chart_version == "1.104.3":
        assert filter_set == {"federatedETL.federator.useMultiClusterDB"}
    else:
        assert filter_set == {"federatedETL.useMultiClusterDB"}
    assert all(get(v, key) is True for key in filter_set)
    assert get(v, "upgrade.toV2") is (True if spec.chart_version == "2.0.1" else None)
    assert get(v, "finopsagent.serviceAccount.name") == (SA_COST_ANALYZER if bridge else None)
    assert get(v, "kubecostModel.etlStoreDurationDays") is None
    assert get(v, "kubecostModel.promClusterIDLabel") == spec.prom_cluster_id_label
    assert "kubecost-irsa-s3" not in strings

    for path, value in walk(v):
        assert "remoteWrite" not in path, path
        if path and path[-1] == "useExistingS3Config":
            assert value is False

    if not spec.federated:
        for key in FEDERATION_KEYS:
            assert get(v, key) is None, key
        assert set(get(v, "federatedETL") or {}) <= {"useMultiClusterDB", "federator"}
        return

    assert get(v, "federatedETL.federatedCluster") is True
    if bridge:
        assert get(v, "global.federatedStorage.existingSecret") == OBJECT_STORE_SECRET
        assert get(v, "kubecostModel.federatedStorageConfigSecret") is None, "the 2.9 chart fails on it"
    else:
        assert get(v, "kubecostModel.federatedStorageConfigSecret") == OBJECT_STORE_SECRET
        assert get(v, "global.federatedStorage") is None
    if spec.line.family == "2.x":
        assert get(v, "kubecostProductConfigs.productKey.secretname") == PRODUCT_KEY_SECRET
        assert get(v, "federatedETL.primaryCluster") is None
        assert get(v, "federatedETL.federator") is None
        if spec.primary:
            assert get(v, "kubecostAggregator.deployMethod") == "statefulset"
            assert get(v, "federatedETL.agentOnly") is None
        else:
            assert get(v, "federatedETL.agentOnly") is True
            assert get(v, "kubecostAggregator.deployMethod") == "disabled"
    else:
        assert get(v, "kubecostAggregator") is None
        assert get(v, "kubecostProductConfigs.productKey") is None
        assert get(v, "federatedETL.agentOnly") is None
        if spec.primary:
            assert get(v, "federatedETL.primaryCluster") is True
            assert get(v, "federatedETL.federator.enabled") is True
            assert get(v, "federatedETL.federator.primaryClusterID") == spec.cluster
        else:
            assert get(v, "federatedETL.primaryCluster") is False
            assert set(get(v, "federatedETL.federator") or {}) <= {"useMultiClusterDB"}


@pytest.mark.parametrize("version", [v for v in VERSIONS if runs(v, False) and v.startswith("2.")])
def test_quick_start_agent_values_equal_primary_values_on_2x(version: str) -> None:
    primary = make("qs", chart_version=version)
    agent = dataclasses.replace(primary, primary=False)
    assert values_files(agent) == values_files(primary)


def test_quick_start_1x_primary_has_no_cluster_filter_but_agents_do() -> None:
    """Defect: the 1.x quick-start primary on 1.106.1+ got the filter and showed only itself."""
    primary = merged(make("qs", chart_version="1.108.1"))
    agent = merged(make("qs", chart_version="1.108.1", primary=False))
    assert get(primary, "federatedETL.useMultiClusterDB") is None
    assert get(agent, "federatedETL.useMultiClusterDB") is True


def test_1104_agents_get_the_filter_under_the_federator_key() -> None:
    """Defect: agents on 1.104.1-1.104.5 got no filter (only federatedETL.federator.useMultiClusterDB renders it)."""
    for version in ("1.104.1", "1.104.5"):
        agent = merged(make("a", chart_version=version, primary=False, federated=True, bucket=BUCKET))
        assert get(agent, "federatedETL.federator.useMultiClusterDB") is True
        assert get(agent, "federatedETL.useMultiClusterDB") is None


def test_values_file_names_and_order() -> None:
    assert [f.name for f in values_files(make())] == ["eks-overlay.yaml", "config-values.yaml", "cluster-values.yaml"]
    fed = make(federated=True, bucket=BUCKET)
    assert [f.name for f in values_files(fed)] == [
        "eks-overlay.yaml",
        "config-values.yaml",
        "federation-primary.yaml",
        "cluster-values.yaml",
    ]
    agent = dataclasses.replace(fed, primary=False)
    assert values_files(agent)[2].name == "federation-agent.yaml"


def test_config_values_has_exactly_the_guide_shape() -> None:
    config = yaml.safe_load(values_files(make())[1].content)
    assert config == {
        "global": {
            "amp": {
                "enabled": True,
                "prometheusServerEndpoint": f"http://localhost:8005/workspaces/{WS}",
                "remoteWriteService": f"https://aps-workspaces.us-east-2.amazonaws.com/workspaces/{WS}/api/v1/remote_write",
                "sigv4": {"region": "us-east-2"},
            }
        },
        "sigV4Proxy": {"region": "us-east-2", "host": "aps-workspaces.us-east-2.amazonaws.com"},
    }


def test_yaml_special_cluster_names_stay_strings() -> None:
    for name in ("1e3", "123", "yes", "on", "null"):
        v = merged(make(name))
        assert get(v, "kubecostProductConfigs.clusterName") == name
        assert get(v, "prometheus.server.global.external_labels.cluster_id") == name


def test_eks_overlay_moves_images_to_ecr_public() -> None:
    for version in ("1.103.4", "2.8.7"):
        overlay = yaml.safe_load(values_files(make(chart_version=version))[0].content)
        assert overlay["kubecostModel"]["image"] == "public.ecr.aws/kubecost/cost-model"
        assert overlay["kubecostFrontend"]["image"] == "public.ecr.aws/kubecost/frontend"
        assert overlay["global"]["grafana"] == {"enabled": False, "proxy": False}
    v1 = yaml.safe_load(values_files(make(chart_version="1.103.4"))[0].content)
    assert v1["prometheus"]["server"]["image"] == {"repository": "public.ecr.aws/kubecost/prometheus", "tag": "v2.35.0"}
    assert v1["kubecostModel"]["etlDailyStoreDurationDays"] == 120, "the key the 1.x chart reads"
    assert "etlStoreDurationDays" not in v1["kubecostModel"]
    v2 = yaml.safe_load(values_files(make(chart_version="2.8.7"))[0].content)
    assert {"networkCosts", "clusterController"}.isdisjoint(v2), "images of components the chart does not render"
    assert "configmapReload" not in v2["prometheus"]


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        make(chart_version="2.9.0"),  # quick-start
        make(chart_version="2.2.1"),  # quick-start
        make(chart_version="1.97.0", federated=True, bucket=BUCKET),
        make(chart_version="2.8.8"),
        make(chart_version="3.0.0", federated=True, bucket=BUCKET),  # 3.0.0-3.0.2: the finops-agent key
        make(chart_version="3.2.1"),  # 3.x: quick-start
        make(federated=True),  # no bucket
        make(product_key_secret=PRODUCT_KEY_SECRET),  # quick-start
        make(federated=True, bucket=BUCKET, chart_version="1.103.4", product_key_secret=PRODUCT_KEY_SECRET),
        make(cluster="bad name"),
        make(region="US-EAST-2"),
        make(namespace="Kubecost"),
    ],
)
def test_values_refuse_inconsistent_specs(spec: ClusterSpec) -> None:
    with pytest.raises(AmpctlError) as info:
        values_files(spec)
    assert info.value.hint


def test_render_all_refuses_product_key_outside_2x_federated() -> None:
    with pytest.raises(AmpctlError, match="product key"):
        render_all(make(), product_key="K")


# --- Kubernetes objects ------------------------------------------------------------------------------


def decode(secret: dict[str, Any], key: str) -> str:
    return base64.b64decode(secret["data"][key]).decode()


@pytest.mark.parametrize(("version", "sdk_auth"), [("2.8.7", True), ("1.103.4", False)])
def test_object_store_secret(version: str, sdk_auth: bool) -> None:
    spec = make(federated=True, bucket=BUCKET, chart_version=version)
    secret = object_store_secret(spec)
    assert secret["kind"] == "Secret"
    assert secret["metadata"]["name"] == OBJECT_STORE_SECRET
    assert secret["metadata"]["namespace"] == "kubecost"
    assert secret["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "ampctl"}
    assert list(secret["data"]) == ["federated-store.yaml"]
    store = yaml.safe_load(decode(secret, "federated-store.yaml"))
    assert store["type"] == "S3"
    config = store["config"]
    assert config["bucket"] == BUCKET
    assert config["endpoint"] == "s3.us-east-2.amazonaws.com"
    assert config["region"] == "us-east-2"
    assert config["put_user_metadata"] == {"X-Amz-Acl": "bucket-owner-full-control"}
    assert config["part_size"] == 134217728
    assert config.get("aws_sdk_auth", False) is sdk_auth
    assert federated_store_yaml(spec) == decode(secret, "federated-store.yaml")


def test_product_key_secret() -> None:
    spec = make(federated=True, bucket=BUCKET, product_key_secret="my-key")
    secret = product_key_secret(spec, " abc-123 ")
    assert secret["metadata"]["name"] == "my-key"
    assert json.loads(decode(secret, "productkey.json")) == {"key": "abc-123"}
    with pytest.raises(AmpctlError):
        product_key_secret(spec, "  ")


def test_service_account() -> None:
    sa = service_account(make(namespace="cost"), SA_PROMETHEUS, "arn:aws:iam::012345678901:role/r")
    assert sa["metadata"] == {
        "name": SA_PROMETHEUS,
        "namespace": "cost",
        "labels": {"app.kubernetes.io/managed-by": "ampctl"},
        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::012345678901:role/r"},
    }


# --- recording rules ---------------------------------------------------------------------------------

GUIDE_RULES = """
groups:
  - name: CPU
    rules:
      - expr: sum(rate(container_cpu_usage_seconds_total{container_name!=""}[5m]))
        record: cluster:cpu_usage:rate5m
      - expr: rate(container_cpu_usage_seconds_total{container_name!=""}[5m])
        record: cluster:cpu_usage_nosum:rate5m
      - expr: avg(irate(container_cpu_usage_seconds_total{container_name!="POD", container_name!=""}[5m])) by (container_name,pod_name,namespace)
        record: kubecost_container_cpu_usage_irate
      - expr: sum(container_memory_working_set_bytes{container_name!="POD",container_name!=""}) by (container_name,pod_name,namespace)
        record: kubecost_container_memory_working_set_bytes
      - expr: sum(container_memory_working_set_bytes{container_name!="POD",container_name!=""})
        record: kubecost_cluster_memory_working_set_bytes
  - name: Savings
    rules:
      - expr: sum(avg(kube_pod_owner{owner_kind!="DaemonSet"}) by (pod) * sum(container_cpu_allocation) by (pod))
        record: kubecost_savings_cpu_allocation
        labels:
          daemonset: "false"
      - expr: sum(avg(kube_pod_owner{owner_kind="DaemonSet"}) by (pod) * sum(container_cpu_allocation) by (pod)) / sum(kube_node_info)
        record: kubecost_savings_cpu_allocation
        labels:
          daemonset: "true"
      - expr: sum(avg(kube_pod_owner{owner_kind!="DaemonSet"}) by (pod) * sum(container_memory_allocation_bytes) by (pod))
        record: kubecost_savings_memory_allocation_bytes
        labels:
          daemonset: "false"
      - expr: sum(avg(kube_pod_owner{owner_kind="DaemonSet"}) by (pod) * sum(container_memory_allocation_bytes) by (pod)) / sum(kube_node_info)
        record: kubecost_savings_memory_allocation_bytes
        labels:
          daemonset: "true"
"""  # noqa: E501


@pytest.mark.parametrize("seed_form", [True, False])
def test_recording_rules_are_valid_rule_files(seed_form: bool) -> None:
    data = yaml.safe_load(recording_rules(seed_form))
    assert [g["name"] for g in data["groups"]] == ["CPU", "Savings"]
    assert [len(g["rules"]) for g in data["groups"]] == [5, 4]
    for group in data["groups"]:
        for rule in group["rules"]:
            assert set(rule) - {"labels"} == {"expr", "record"}
            assert rule["expr"].count("(") == rule["expr"].count(")")
            assert rule["expr"].count("{") == rule["expr"].count("}")


def test_seed_form_is_the_guide_verbatim() -> None:
    assert yaml.safe_load(recording_rules(True)) == yaml.safe_load(GUIDE_RULES)


def test_current_form_uses_current_cadvisor_labels() -> None:
    text = recording_rules(False)
    assert "container_name" not in text and "pod_name" not in text
    expected = GUIDE_RULES.replace("container_name", "container").replace("pod_name", "pod")
    assert yaml.safe_load(text) == yaml.safe_load(expected)


# --- helm ----------------------------------------------------------------------------------------


def test_helm_command_argv() -> None:
    spec = make(chart_version="2.8.7", namespace="cost", release="kc")
    argv = helm_command(spec, ["a.yaml", "b.yaml"], ["mine.yaml"], ["x=1", "y=2"], DEFAULT_CHART, "12m")
    assert argv == [
        "helm", "upgrade", "--install", "kc", DEFAULT_CHART, "--version", "2.8.7",
        "--namespace", "cost", "--create-namespace", "--atomic", "--timeout", "12m",
        "-f", "a.yaml", "-f", "b.yaml", "-f", "mine.yaml", "--set", "x=1", "--set", "y=2",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    [
        "novalue",
        "=1",
        "prometheus.server.remoteWrite[0].url=http://x",
        "prometheus.server.remoteWrite=null",
        "federatedETL.useExistingS3Config=true",
        "kubecostModel.logLevel=debug,prometheus.server.remoteWrite[0].url=http://x",
    ],
)
def test_helm_command_refuses_bad_set_values(bad: str) -> None:
    with pytest.raises(AmpctlError):
        helm_command(make(), [], [], [bad], DEFAULT_CHART, "10m")


def test_helm_command_accepts_harmless_set_values() -> None:
    items = ["federatedETL.useExistingS3Config=false", "a.list={x,y}", "b=c\\,d"]
    assert helm_command(make(), [], [], items, DEFAULT_CHART, "10m")[-6:] == [
        "--set", items[0], "--set", items[1], "--set", items[2],
    ]  # fmt: skip


# --- render_all and writing ----------------------------------------------------------------------------


def by_name(files: list[RenderedFile]) -> dict[str, RenderedFile]:
    return {f.name: f for f in files}


def test_render_all_modes_and_contents() -> None:
    spec, kwargs = CASES["v2-federated-primary"]
    files = by_name(render_all(spec, **kwargs))
    assert files["object-store-secret.yaml"].mode == 0o600
    assert files["product-key-secret.yaml"].mode == 0o600
    assert files["helm-command.sh"].mode == 0o755
    assert files["01-eks-overlay.yaml"].mode == 0o644
    assert "iam/kubecost-prod-east-cost-analyzer-trust.json" in files
    assert "iam/kubecost-prod-east-prometheus-server-trust.json" in files
    assert "iam/kubecost-s3-federated-policy-prod-east.json" in files
    accounts = list(yaml.safe_load_all(files["serviceaccounts.yaml"].content))
    arns = {a["metadata"]["name"]: a["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] for a in accounts}
    assert arns == {
        SA_COST_ANALYZER: f"arn:aws:iam::{ACCOUNT}:role/kubecost-prod-east-cost-analyzer",
        SA_PROMETHEUS: f"arn:aws:iam::{ACCOUNT}:role/kubecost-prod-east-prometheus-server",
    }
    # the product key given without a Secret name is referenced by the values under the default name
    values = yaml.safe_load(files["04-cluster-values.yaml"].content)
    assert values["kubecostProductConfigs"]["productKey"]["secretname"] == PRODUCT_KEY_SECRET


def test_quick_start_renders_no_federation_artifacts() -> None:
    names = set(by_name(render_all(make())))
    assert names == {
        "01-eks-overlay.yaml",
        "02-config-values.yaml",
        "03-cluster-values.yaml",
        "serviceaccounts.yaml",
        "iam/kubecost-prod-east-cost-analyzer-trust.json",
        "iam/kubecost-prod-east-prometheus-server-trust.json",
        "recording-rules.yaml",
        "helm-command.sh",
    }


def test_write_all_sets_modes(tmp_path: Path) -> None:
    spec, kwargs = CASES["v2-federated-primary"]
    (tmp_path / "object-store-secret.yaml").write_text("old")
    (tmp_path / "object-store-secret.yaml").chmod(0o644)
    write_all(render_all(spec, **kwargs), tmp_path)
    mode = lambda name: stat.S_IMODE((tmp_path / name).stat().st_mode)  # noqa: E731
    assert mode("object-store-secret.yaml") == 0o600
    assert mode("product-key-secret.yaml") == 0o600
    assert mode("helm-command.sh") == 0o755
    assert (tmp_path / "iam" / "bucket-policy.json").is_file()


def test_helm_command_script_is_valid_shell_and_quotes(tmp_path: Path) -> None:
    spec, kwargs = CASES["v2-quickstart"]
    write_all(render_all(spec, **kwargs), tmp_path)
    script = tmp_path / "helm-command.sh"
    subprocess.run(["sh", "-n", str(script)], check=True)
    # run it with a stub helm that prints its argv, one per line
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "helm").write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    (stub / "helm").chmod(0o755)
    env = {**os.environ, "PATH": f"{stub}:{os.environ['PATH']}"}
    out = subprocess.run([str(script)], env=env, check=True, capture_output=True, text=True).stdout.splitlines()
    here = str(tmp_path)
    assert out[:2] == ["upgrade", "--install"]
    assert f"{here}/01-eks-overlay.yaml" in out
    assert out[-4:] == ["-f", "overrides/my values.yaml", "--set", "kubecostModel.logLevel=debug"]


# --- packaging ---------------------------------------------------------------------------------------


def test_templates_dir_holds_every_template() -> None:
    names = {p.name for p in templates_dir().iterdir()}
    for line in ("1.x", "2.x"):
        assert f"eks-overlay-{line}.yaml.j2" in names
    assert {"federation-1.x-primary.yaml.j2", "federation-1.x-agent.yaml.j2"} <= names
    assert {"config-values.yaml.j2", "federated-store.yaml.j2"} <= names
    assert "recording-rules.yaml.j2" in names


def test_importing_render_does_not_import_jinja2() -> None:
    code = "import sys, ampctl.render.tree; assert 'jinja2' not in sys.modules, 'jinja2 imported eagerly'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_render_under_pod_identity_writes_no_annotation_and_the_associations(tmp_path: Path) -> None:
    """The GitOps tree under EKS Pod Identity: no annotation, the Pod Identity trust, the associations to make."""
    argv = [sys.executable, "-m", "ampctl", "render", "-o", "json", "--out-dir", str(tmp_path), "--cluster", "c1",
            "--region", "us-east-2", "--account", ACCOUNT, "--oidc-issuer", issuer("us-east-2"), "--workspace-id", WS,
            "--identity", "pod-identity"]  # fmt: skip
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    written = json.loads(proc.stdout)
    role = f"arn:aws:iam::{ACCOUNT}:role/kubecost-c1-cost-analyzer"
    assert {"clusterName": "c1", "namespace": "kubecost", "serviceAccount": SA_COST_ANALYZER, "roleArn": role} in (
        written["pod_identity_associations"]
    )
    accounts = list(yaml.safe_load_all((tmp_path / "serviceaccounts.yaml").read_text()))
    assert [a["metadata"].get("annotations") for a in accounts] == [None, None]
    trust = json.loads((tmp_path / "iam" / "kubecost-c1-cost-analyzer-trust.json").read_text())
    assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {
        "aws:RequestTag/eks-cluster-arn": f"arn:aws:eks:us-east-2:{ACCOUNT}:cluster/c1",
        "aws:RequestTag/kubernetes-namespace": "kubecost",
        "aws:RequestTag/kubernetes-service-account": SA_COST_ANALYZER,
    }
    note = (tmp_path / "pod-identity-associations.md").read_text()
    assert f"--service-account {SA_PROMETHEUS} --role-arn" in note and "Terraform" in note
    values = yaml.safe_load((tmp_path / "03-cluster-values.yaml").read_text())
    assert values["sigV4Proxy"]["image"] == "public.ecr.aws/aws-observability/aws-sigv4-proxy:1.11.1"
    refused = subprocess.run([*argv, "--kubecost-version", "1.108.1"], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "does not support EKS Pod Identity" in refused.stderr


@pytest.mark.parametrize("version", ["2.9.0", "2.9.1"])
@pytest.mark.parametrize("role", [[], ["--agent"]])
def test_render_refuses_2_9_0_and_2_9_1_in_at_most_three_lines(tmp_path: Path, version: str, role: list[str]) -> None:
    """Defect: the chart at these tags fails on the per-cluster cluster_id label ampctl renders."""
    argv = [sys.executable, "-m", "ampctl", "render", "--federated", "--out-dir", str(tmp_path), "--cluster", "c1",
            "--region", "us-east-2", "--account", ACCOUNT, "--oidc-issuer", issuer("us-east-2"), "--workspace-id", WS,
            "--bucket", BUCKET, "--kubecost-version", version, *role]  # fmt: skip
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 3 and "Traceback" not in proc.stderr, proc.stderr
    assert f"Kubecost {version} cannot run on AMP" in lines[0]
    assert "--kubecost-version 2.9.2 or later" in proc.stderr
    assert list(tmp_path.iterdir()) == []
