"""The 3.x contract, checked against the real `kubecost` chart (../shared/charts/kubecost-*.tgz) with ampctl's values:
it renders, every pod that mounts the federated-storage Secret runs as a ServiceAccount ampctl binds to a role, the
Secret's name and key are ampctl's, global.clusterId is the cluster's, and an agent runs none of the primary's parts."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from ampctl import naming
from ampctl.lines.v3 import REMOVED_KEYS, service_accounts
from ampctl.render.objects import OBJECT_STORE_KEY, irsa_roles
from ampctl.render.tree import write_all
from ampctl.render.values import values_files
from ampctl.spec import OBJECT_STORE_SECRET, ClusterSpec
from tests.charts.conftest import ACCOUNT, BUCKET, REGION, helm_template, packages, requires_charts

pytestmark = requires_charts
KUBECOST3 = packages("kubecost")
PRIMARY_ONLY_WORKLOADS = {"kubecost-aggregator", "kubecost-cloud-cost", "kubecost-frontend", "kubecost-forecasting"}


def spec(version: str, primary: bool, identity: str = "irsa") -> ClusterSpec:
    return ClusterSpec(
        cluster=f"{'primary' if primary else 'agent'}-{version.replace('.', '-')}", region=REGION, account=ACCOUNT,
        oidc_issuer=f"https://oidc.eks.{REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", workspace_id="",
        primary=primary, federated=True, bucket=BUCKET, chart_version=version, identity=identity,
    )  # fmt: skip


@pytest.fixture(scope="module", params=[(p, v, r) for p, v in KUBECOST3 for r in (True, False)],
                ids=lambda c: f"{c[1]}-{'primary' if c[2] else 'agent'}")  # fmt: skip
def rendered(request: pytest.FixtureRequest, helm3: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    package, version, primary = request.param
    s = spec(version, primary)
    files = [dataclasses.replace(f, name=f"{i:02d}-{f.name}") for i, f in enumerate(values_files(s), start=1)]
    proc = helm_template(helm3, package, write_all(files, tmp_path_factory.mktemp("kc3")))
    assert proc.returncode == 0, proc.stderr
    return s, [o for o in yaml.safe_load_all(proc.stdout) if o]


def _workloads(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    kinds = ("Deployment", "StatefulSet", "DaemonSet")
    return {o["metadata"]["name"]: o["spec"]["template"]["spec"] for o in objects if o["kind"] in kinds}


def _store_volumes(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [v["secret"] for v in pod.get("volumes") or [] if v.get("name") == "federated-storage-config"]


def test_no_cost_analyzer_deployment_so_one_marks_a_2x_release(rendered: Any) -> None:
    """teardown --retire-amp takes a `<release>-cost-analyzer` Deployment for a 2.x release a GitOps engine applied."""
    _, objects = rendered
    assert not [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-cost-analyzer")]


def test_every_pod_that_reads_the_bucket_runs_as_an_account_ampctl_binds_to_a_role(rendered: Any) -> None:
    s, objects = rendered
    bound = dict(irsa_roles(s))  # ServiceAccount -> the role ampctl makes for it
    readers = {name: pod for name, pod in _workloads(objects).items() if _store_volumes(pod)}
    assert "kubecost-finopsagent" in readers and "kubecost-cluster-controller" in readers
    assert ("kubecost-aggregator" in readers) is s.primary and ("kubecost-cloud-cost" in readers) is s.primary
    for name, pod in readers.items():
        assert pod.get("serviceAccountName") in bound, f"{name} runs as {pod.get('serviceAccountName')}"
        assert all(v["secretName"] == OBJECT_STORE_SECRET for v in _store_volumes(pod)), name
    # Exactly the accounts that read it get a role: none too many.
    assert set(bound) == {pod["serviceAccountName"] for pod in readers.values()}
    assert {naming.role_name(s.cluster, c) for c in service_accounts(s)} == set(bound.values())


def test_the_secret_key_cluster_id_and_accounts_are_ampctls(rendered: Any) -> None:
    s, objects = rendered
    pods = _workloads(objects)
    mounts = [m for c in pods["kubecost-finopsagent"]["containers"] for m in c.get("volumeMounts") or []]
    assert any(m["name"] == "federated-storage-config" and m.get("subPath") == OBJECT_STORE_KEY for m in mounts)
    env = {e["name"]: e.get("value") for c in pods["kubecost-cluster-controller"]["containers"] for e in c["env"]}
    assert env["CLUSTER_ID"] == s.cluster
    # ampctl makes the ServiceAccounts (with their role annotations): the chart renders none that read the bucket.
    rendered_accounts = {o["metadata"]["name"] for o in objects if o["kind"] == "ServiceAccount"}
    assert not rendered_accounts & set(service_accounts(s).values())
    assert not [o for o in objects if o["kind"] == "Secret" and o["metadata"]["name"] == OBJECT_STORE_SECRET]


def test_an_agent_runs_none_of_the_primary_parts_and_no_local_store(rendered: Any) -> None:
    s, objects = rendered
    names = set(_workloads(objects))
    assert ("kubecost-finopsagent" in names) and "kubecost-local-store" not in names
    assert bool(names & PRIMARY_ONLY_WORKLOADS) is s.primary
    if not s.primary:
        assert not [o for o in objects if o["kind"] == "PersistentVolumeClaim"]  # an agent keeps no volume
    images = {c["image"].split("/")[0] for pod in _workloads(objects).values() for c in pod["containers"]}
    assert images == {"public.ecr.aws"}


def _dotted(tree: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in tree.items():
        keys += _dotted(value, f"{prefix}{key}.") if isinstance(value, dict) else [f"{prefix}{key}"]
    return keys


@pytest.mark.parametrize(("package", "version"), KUBECOST3, ids=lambda v: str(v))
def test_the_chart_refuses_the_2x_keys_ampctl_never_renders(
    package: Path, version: str, helm3: str, tmp_path: Path
) -> None:
    files = values_files(spec(version, True))
    keys = [k for f in files for k in _dotted(yaml.safe_load(f.content))]
    assert not [k for k in keys for removed in REMOVED_KEYS if k == removed or k.startswith(removed + ".")]
    paths = write_all(files, tmp_path)
    for bad in ("global:\n  amp:\n    enabled: true\n", "kubecostProductConfigs:\n  clusterName: c1\n"):
        path = tmp_path / "bad.yaml"
        path.write_text(bad)
        proc = helm_template(helm3, package, [*paths, path])
        assert proc.returncode != 0
        assert "no longer supported" in proc.stderr or "has been moved to `.Values.global.clusterId`" in proc.stderr
