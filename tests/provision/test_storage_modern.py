"""Storage and scheduling on clusters as EKS creates them today (a sandbox of its own, started with --modern):
a cluster without a default StorageClass refused in the plan with no change, --install-ebs-csi-driver and
--storage-class and EKS Auto Mode's --create-storage-class each leading to a healthy release, teardown removing
only what ampctl made, and nodes too small for Kubecost failing the install in seconds with nothing left behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REAL_CHARTS, Sandbox, ok

PRIMARY, SMALL, AUTO = "sandbox-primary", "sandbox-east", "sandbox-west"
NS = "kubecost"
ADDON = "aws-ebs-csi-driver"

pytestmark = pytest.mark.skipif(not REAL_CHARTS.is_dir(), reason="needs the real charts (resource requests)")


@pytest.fixture(scope="module")
def modern(tmp_path_factory: pytest.TempPathFactory, prometheus_bin: str) -> Iterator[Sandbox]:
    from ampctl.sandbox import manager
    from ampctl.sandbox.aws import eks_pod_identity
    from ampctl.sandbox.config import SandboxConfig

    state_dir = tmp_path_factory.mktemp("modern")
    config = SandboxConfig(
        state_dir=state_dir, feeder_interval=0.5, prometheus_bin=prometheus_bin, charts_dir=REAL_CHARTS,
        modern=True, auto_mode_clusters=(AUTO, SMALL), small_node_clusters=(SMALL,),
    )  # fmt: skip
    assert eks_pod_identity.ACTIVATION_SECONDS <= 1.0
    manager.up(config)
    try:
        yield Sandbox(state_dir)
    finally:
        manager.down(state_dir)


def ampctl(sandbox: Sandbox, work: Path, *args: str, cluster: str = PRIMARY, timeout: float = 300):  # noqa: ANN201
    return sandbox.ampctl(*args, "--context", sandbox.context(cluster), cwd=work, timeout=timeout)


def claims(sandbox: Sandbox, cluster: str) -> dict[str, tuple[str, str]]:
    found = sandbox.kube(cluster).list_namespaced_persistent_volume_claim(NS).items
    return {c.metadata.name: (c.spec.storage_class_name, c.status.phase) for c in found}


def doctor_checks(sandbox: Sandbox, work: Path, cluster: str) -> dict[str, dict]:
    import json

    proc = ampctl(sandbox, work, "doctor", "-o", "json", "--wait", "0s", cluster=cluster)
    assert proc.returncode in (0, 2), proc.stderr
    return {k["id"]: k for k in json.loads(proc.stdout)["clusters"][0]["checks"]}


def storage_classes(sandbox: Sandbox, cluster: str) -> dict[str, str]:
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=sandbox.state.kubeconfig, context=sandbox.context(cluster))
    return {c.metadata.name: c.provisioner for c in client.StorageV1Api(api).list_storage_class().items}


def test_no_default_class_is_refused_in_the_plan_then_the_ebs_csi_add_on_fixes_it(
    modern: Sandbox, tmp_path: Path
) -> None:
    modern.clear_aws_calls()
    refused = ampctl(modern, tmp_path, "bootstrap", "--federated", "--yes")
    assert refused.returncode == 1, refused.stderr
    assert "cannot be provisioned" in refused.stderr and "no default StorageClass" in refused.stderr
    assert "--install-ebs-csi-driver" in refused.stderr and "Traceback" not in refused.stderr
    assert modern.aws_mutations() == []
    assert NS not in {n.metadata.name for n in modern.kube(PRIMARY).list_namespace().items}

    started = time.monotonic()
    done = ok(ampctl(modern, tmp_path, "bootstrap", "--install-ebs-csi-driver", "--yes", "-o", "json"))
    print(f"bootstrap with the add-on: {time.monotonic() - started:.1f}s")
    assert done["clusters"][0]["ok"]
    addon = modern.client("eks").describe_addon(clusterName=PRIMARY, addonName=ADDON)["addon"]
    assert addon["status"] == "ACTIVE" and addon["tags"]["managed-by"] == "ampctl"
    assert addon["serviceAccountRoleArn"].endswith(":role/kubecost-sandbox-primary-ebs-csi")
    assert {phase for _, phase in claims(modern, PRIMARY).values()} == {"Bound"}
    assert storage_classes(modern, PRIMARY)["ebs-csi-default-sc"] == "ebs.csi.aws.com"
    checks = doctor_checks(modern, tmp_path, PRIMARY)
    assert checks["storage.claims"]["status"] == "pass", checks["storage.claims"]
    assert "(StorageClass ebs-csi-default-sc)" in checks["storage.claims"]["evidence"]
    assert checks["scheduling.pods"]["status"] == "pass", checks["scheduling.pods"]

    plan = ampctl(modern, tmp_path, "bootstrap", "--dry-run")  # the add-on's default class is used as it is
    assert plan.returncode == 0, plan.stderr
    assert "provisions through the EBS CSI driver (add-on ACTIVE)" in " ".join(plan.stderr.split())


def test_auto_mode_class_and_a_users_class_each_lead_to_bound_claims(modern: Sandbox, tmp_path: Path) -> None:
    from kubernetes import client, config

    wrong = ampctl(modern, tmp_path, "add-cluster", "--yes", "--install-ebs-csi-driver", cluster=AUTO)
    assert wrong.returncode == 1 and "--create-storage-class" in wrong.stderr, wrong.stderr
    ok(ampctl(modern, tmp_path, "add-cluster", "--yes", "--create-storage-class", cluster=AUTO))
    assert set(claims(modern, AUTO).values()) == {("kubecost-auto-ebs", "Bound")}
    assert storage_classes(modern, AUTO)["kubecost-auto-ebs"] == "ebs.csi.eks.amazonaws.com"

    ok(ampctl(modern, tmp_path, "teardown", "--yes", cluster=AUTO))
    assert "kubecost-auto-ebs" not in storage_classes(modern, AUTO)
    api = config.new_client_from_config(config_file=modern.state.kubeconfig, context=modern.context(AUTO))
    client.StorageV1Api(api).create_storage_class({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "team-ebs"},
        "provisioner": "ebs.csi.eks.amazonaws.com", "volumeBindingMode": "WaitForFirstConsumer",
    })  # fmt: skip
    ok(ampctl(modern, tmp_path, "add-cluster", "--yes", "--storage-class", "team-ebs", cluster=AUTO))
    assert set(claims(modern, AUTO).values()) == {("team-ebs", "Bound")}
    ok(ampctl(modern, tmp_path, "teardown", "--yes", cluster=AUTO))
    assert "team-ebs" in storage_classes(modern, AUTO)  # not ampctl's: left alone


def test_small_nodes_fail_the_install_in_seconds_naming_the_missing_resources(modern: Sandbox, tmp_path: Path) -> None:
    started = time.monotonic()
    failed = ampctl(modern, tmp_path, "add-cluster", "--yes", "--create-storage-class", cluster=SMALL)
    took = time.monotonic() - started
    print(f"small nodes: failed after {took:.1f}s")
    assert failed.returncode == 1, failed.stderr
    text = " ".join(failed.stderr.split())
    assert "FailedScheduling" in text and "Insufficient" in text and "rolled back" in text, text
    assert (
        "Kubecost's pods may not fit: not enough memory (1 schedulable node(s) have 1930m cpu, 113Mi memory free)"
        in text
    )
    assert took < 60
    assert "missing memory" in text and "the pod requests cpu 200m, memory 300Mi" in text, text
    core = modern.kube(SMALL)
    assert core.list_namespaced_pod(NS).items == []  # rolled back: nothing of the release is left
    assert core.list_namespaced_secret(NS, label_selector="owner=helm").items == []


def test_teardown_removes_the_add_on_and_its_role_only_where_ampctl_made_them(modern: Sandbox, tmp_path: Path) -> None:
    ok(ampctl(modern, tmp_path, "teardown", "--yes"))
    assert modern.client("eks").list_addons(clusterName=PRIMARY)["addons"] == []
    roles = {r["RoleName"] for r in modern.client("iam").list_roles()["Roles"]}
    assert "kubecost-sandbox-primary-ebs-csi" not in roles
