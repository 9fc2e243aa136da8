"""A StatefulSet's spec beyond replicas, ordinals, template, updateStrategy, minReadySeconds and the claim retention
policy stays as created (ValidateStatefulSetUpdate). The real charts' aggregator: kubecost 3.2.1 copies the claim
templates' annotations from the live StatefulSet (`lookup`, _helpers.tpl kubecost.aggregatorStatefulset.pvcAnnotations)
so that it moves from cost-analyzer 2.9.7 in place; rendered offline (no lookup: the chart's `helm.sh/resource-policy:
keep`) it is refused, as are a changed claim size or serviceName."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from ampctl.sandbox.kubeapi import KubeEmulator
from tests.conftest import REAL_CHARTS
from tests.sandbox.real_charts import ACCOUNT, ISSUER, REGION, WORKSPACE, chart_package, needs_real_charts, template

NS = "kubecost"


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[client.AppsV1Api]:
    emulator = KubeEmulator(["sandbox-primary"])
    emulator.start()
    path = tmp_path_factory.mktemp("kube") / "config"
    path.write_text(yaml.safe_dump(emulator.kubeconfig()))
    api = config.new_client_from_config(config_file=str(path), context="sandbox-primary")
    client.CoreV1Api(api).create_namespace({"metadata": {"name": NS}})
    yield client.AppsV1Api(api)
    emulator.stop()


def aggregator(helm: str, chart: Path, version: str, out: Path) -> dict[str, Any]:
    """The aggregator StatefulSet the real chart renders with ampctl's values for a federated primary."""
    args = [sys.executable, "-m", "ampctl", "render", "--federated", "--out-dir", str(out), "--cluster", "c1"]
    args += ["--region", REGION, "--account", ACCOUNT, "--oidc-issuer", ISSUER, "--kubecost-version", version]
    args += ["--bucket", "kubecost-etl-test"] if version.startswith("3.") else ["--workspace-id", WORKSPACE]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    objects = template(helm, chart, sorted(out.glob("0*.yaml")), NS)
    return objects[("StatefulSet", "kubecost-aggregator")]


def refusal(apps: client.AppsV1Api, body: dict[str, Any]) -> str:
    with pytest.raises(ApiException) as refused:
        apps.replace_namespaced_stateful_set("kubecost-aggregator", NS, body)
    assert refused.value.status == 422
    return str(refused.value.body)


@needs_real_charts
def test_the_aggregator_moves_from_the_2_9_chart_to_the_3_x_chart_in_place(
    apps: client.AppsV1Api, helm3: str, tmp_path: Path
) -> None:
    old = aggregator(helm3, chart_package("2.9.7"), "2.9.7", tmp_path / "v2")
    new = aggregator(helm3, REAL_CHARTS / "kubecost-3.2.1.tgz", "3.2.1", tmp_path / "v3")
    created = apps.create_namespaced_stateful_set(NS, old)
    # Offline (helm template, Argo CD): the 3.x claim templates carry the chart's keep annotation, 2.9.7's none.
    assert new["spec"]["volumeClaimTemplates"][0]["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    assert "Forbidden: updates to statefulset spec" in refusal(apps, new)
    # helm upgrade against the cluster: lookup finds 2.9.7's templates without annotations and keeps them so.
    for claim in new["spec"]["volumeClaimTemplates"]:
        claim["metadata"]["annotations"] = {}
    moved = apps.replace_namespaced_stateful_set("kubecost-aggregator", NS, new)
    assert moved.metadata.uid == created.metadata.uid  # updated, not replaced: its claims stay bound to it
    assert [t.spec.resources.requests["storage"] for t in moved.spec.volume_claim_templates] == ["128Gi", "1Gi"]

    bigger = copy.deepcopy(new)
    bigger["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "256Gi"
    said = refusal(apps, bigger)
    assert "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template'" in said
    renamed = copy.deepcopy(new)
    renamed["spec"]["serviceName"] = "kubecost-aggregator-headless"
    assert "Forbidden" in refusal(apps, renamed)
    scaled = copy.deepcopy(new)
    scaled["spec"]["replicas"] = 2
    scaled["spec"]["template"]["metadata"].setdefault("annotations", {})["restarted"] = "now"
    assert apps.replace_namespaced_stateful_set("kubecost-aggregator", NS, scaled).spec.replicas == 2
