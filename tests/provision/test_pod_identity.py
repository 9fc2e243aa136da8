"""EKS Pod Identity end to end on the sandbox: bootstrap --identity pod-identity and add-cluster, doctor passing,
a deleted association or add-on failing the right check and bootstrap repairing it, the migration to IRSA and back
shown in the plan, teardown removing the associations, and a chart version without Pod Identity refused."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.conftest import Sandbox, ok

PRIMARY, EAST, WEST = "sandbox-primary", "sandbox-east", "sandbox-west"
NS = "kubecost"
SAS = ("kubecost-cost-analyzer-amp", "kubecost-prometheus-server-amp")
AGENT = "eks-pod-identity-agent"
ANNOTATION = "eks.amazonaws.com/role-arn"
PROMQL = ("promql.amp.memory", "promql.amp.node-cost", "promql.kubecost.memory", "promql.kubecost.node-cost")


def associations(sandbox: Sandbox, cluster: str) -> dict[str, dict]:
    eks = sandbox.client("eks")
    found = eks.list_pod_identity_associations(clusterName=cluster, namespace=NS)["associations"]
    described = [
        eks.describe_pod_identity_association(clusterName=cluster, associationId=a["associationId"])["association"]
        for a in found
    ]
    return {a["serviceAccount"]: a for a in described}


def doctor(sandbox: Sandbox, work: Path, *clusters: str, wait: str = "60s") -> tuple[int, dict]:
    contexts = [arg for c in clusters for arg in ("--context", sandbox.context(c))]
    proc = sandbox.ampctl("doctor", "-o", "json", "--max-sample-age", "5s", "--wait", wait, *contexts, cwd=work)
    assert proc.returncode in (0, 2), proc.stderr
    return proc.returncode, {
        c["cluster"]: {k["id"]: k for k in c["checks"]} for c in json.loads(proc.stdout)["clusters"]
    }


def repaired(sandbox: Sandbox, work: Path, cluster: str, deadline: float = 90) -> dict:
    """Doctor, again until nothing fails or the deadline passes: after a repair, the checks that read what the pods
    did (their last ETL save, their logs) pass once the pods have worked again (the ETL builds every 2 s here)."""
    end = time.monotonic() + deadline
    while True:
        code, clusters = doctor(sandbox, work, cluster)
        if code == 0 or time.monotonic() >= end:
            assert code == 0, [clusters[cluster][i] for i in failing(clusters[cluster])]
            return clusters[cluster]
        time.sleep(1)


def failing(checks: dict) -> set[str]:
    return {i for i, c in checks.items() if c["status"] == "fail"}


def boot(sandbox: Sandbox, work: Path, *extra: str) -> dict:
    return ok(sandbox.ampctl("bootstrap", "--federated", "--yes", "-o", "json", "--context", sandbox.context(PRIMARY),
                             *extra, cwd=work))  # fmt: skip


@pytest.fixture(scope="module")
def fleet(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The primary bootstrapped with Pod Identity and two clusters added (they follow the fleet's identity)."""
    sandbox.reset()
    work = tmp_path_factory.mktemp("podid")
    boot(sandbox, work, "--identity", "pod-identity", "--install-pod-identity-agent")
    ok(sandbox.ampctl("add-cluster", "--yes", "--install-pod-identity-agent", "--context", sandbox.context(EAST),
                      "--context", sandbox.context(WEST), cwd=work))  # fmt: skip
    return work


def test_clusters_get_associations_trust_and_no_annotation(sandbox: Sandbox, fleet: Path) -> None:
    iam = sandbox.client("iam")
    ws = sandbox.client("amp").list_workspaces(alias="kubecost-amp")["workspaces"][0]
    assert ws["tags"]["ampctl/identity"] == "pod-identity"
    for cluster in (PRIMARY, EAST, WEST):
        found = associations(sandbox, cluster)
        assert set(found) == set(SAS)
        for sa, component in zip(SAS, ("cost-analyzer", "prometheus-server"), strict=True):
            role = f"kubecost-{cluster}-{component}"
            assert found[sa]["roleArn"] == f"arn:aws:iam::{sandbox.state.account}:role/{role}"
            assert found[sa]["tags"]["managed-by"] == "ampctl" and found[sa]["tags"]["ampctl/cluster"] == cluster
            statement = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
            assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
            assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
            assert statement["Condition"] == {
                "StringEquals": {
                    "aws:RequestTag/eks-cluster-arn": sandbox.context(cluster),
                    "aws:RequestTag/kubernetes-namespace": NS,
                    "aws:RequestTag/kubernetes-service-account": sa,
                }
            }
            account = sandbox.kube(cluster).read_namespaced_service_account(sa, NS)
            assert ANNOTATION not in (account.metadata.annotations or {})
        if cluster == WEST:  # EKS Auto Mode: Pod Identity built in, no add-on installed
            assert sandbox.client("eks").list_addons(clusterName=cluster)["addons"] == []
            continue
        addon = sandbox.client("eks").describe_addon(clusterName=cluster, addonName=AGENT)["addon"]
        assert addon["status"] == "ACTIVE"
    from kubernetes import client as k8s  # the chart's sidecar runs the pinned image

    apps = k8s.AppsV1Api(sandbox.kube(PRIMARY).api_client)
    containers = apps.read_namespaced_deployment("kubecost-cost-analyzer", NS).spec.template.spec.containers
    image = next(c.image for c in containers if c.name == "sigv4proxy")
    assert image == "public.ecr.aws/aws-observability/aws-sigv4-proxy:1.11.1"


def test_doctor_passes_with_pod_identity(sandbox: Sandbox, fleet: Path) -> None:
    code, clusters = doctor(sandbox, fleet, PRIMARY, EAST, WEST)
    assert sorted(clusters) == sorted((PRIMARY, EAST, WEST))
    for name, checks in clusters.items():
        assert failing(checks) == set(), (name, [checks[i] for i in failing(checks)])
        for check_id in (
            "pod-identity.agent",
            "pod-identity.cost-analyzer.association",
            "pod-identity.prometheus-server.trust",
            "pod-identity.cost-analyzer.annotation",
            *PROMQL,
        ):
            assert checks[check_id]["status"] == "pass", (name, checks[check_id])  # fmt: skip
        for skipped in ("irsa.oidc-provider", "irsa.cost-analyzer.role", "irsa.prometheus-server.annotation"):
            assert checks[skipped]["status"] == "skip", (name, checks[skipped])
    assert code == 0


def test_federated_etl_reaches_the_bucket_with_the_associated_role(sandbox: Sandbox, fleet: Path) -> None:
    """The pods write their ETL as the role their association names (they have no IRSA annotation to go by)."""
    s3 = sandbox.client("s3")
    bucket = f"kubecost-etl-{sandbox.state.account}-{sandbox.state.region}"
    waiting = {PRIMARY, EAST, WEST}
    end = time.monotonic() + 60
    while waiting and time.monotonic() < end:
        waiting = {c for c in waiting if not s3.list_objects_v2(Bucket=bucket, Prefix=f"federated/{c}/")["KeyCount"]}
        if waiting:
            time.sleep(0.5)
    assert waiting == set(), f"no ETL objects in s3://{bucket} for {sorted(waiting)}"


def test_status_sees_the_service_accounts_reach_their_roles_by_association(sandbox: Sandbox, fleet: Path) -> None:
    contexts = [arg for c in (PRIMARY, EAST, WEST) for arg in ("--context", sandbox.context(c))]
    result = json.loads(ok_stdout(sandbox.ampctl("status", "-o", "json", *contexts, cwd=fleet)))
    rows = {c["cluster"]: c for c in result["clusters"]}
    for cluster in (PRIMARY, EAST, WEST):
        assert rows[cluster]["service_accounts"] == {"cost-analyzer": True, "prometheus-server": True}, rows[cluster]
        assert rows[cluster]["identity"] == "pod-identity" and rows[cluster]["differs"] == [], rows[cluster]
    table = sandbox.ampctl("status", *contexts, cwd=fleet)
    assert table.returncode == 0 and table.stdout.count("pod-identity") == 3, table.stdout


def ok_stdout(proc) -> str:  # noqa: ANN001 - a finished ampctl process
    assert proc.returncode == 0, proc.stderr
    return str(proc.stdout)


def test_a_deleted_association_or_a_wrong_trust_fails_doctor_and_bootstrap_repairs_them(
    sandbox: Sandbox, fleet: Path
) -> None:
    eks, iam = sandbox.client("eks"), sandbox.client("iam")
    gone = associations(sandbox, PRIMARY)[SAS[0]]["associationId"]
    eks.delete_pod_identity_association(clusterName=PRIMARY, associationId=gone)
    role = f"kubecost-{PRIMARY}-prometheus-server"
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    trust["Statement"][0]["Action"] = "sts:AssumeRole"  # no sts:TagSession
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(trust))
    code, clusters = doctor(sandbox, fleet, PRIMARY, wait="0s")
    checks = clusters[PRIMARY]
    assert code == 2
    expected = {"pod-identity.cost-analyzer.association", "pod-identity.prometheus-server.trust"}
    assert failing(checks) == expected, [checks[i] for i in failing(checks)]
    assert "no pod identity association" in checks["pod-identity.cost-analyzer.association"]["evidence"]
    assert "ampctl bootstrap" in checks["pod-identity.cost-analyzer.association"]["fix"]
    assert "without sts:TagSession" in checks["pod-identity.prometheus-server.trust"]["evidence"]
    assert checks["promql.kubecost.memory"]["status"] != "pass"  # the sigv4 proxy has no credentials, as in AWS
    boot(sandbox, fleet)
    assert set(associations(sandbox, PRIMARY)) == set(SAS)
    repaired(sandbox, fleet, PRIMARY)


def test_the_cluster_arn_source_trust_fails_as_on_aws_and_bootstrap_moves_it(sandbox: Sandbox, fleet: Path) -> None:
    """The trust ampctl wrote before (aws:SourceArn = the cluster ARN): EKS sends the association ARN, so the pods get
    no credentials; doctor names it, and a re-run rewrites the trust in the new form."""
    iam = sandbox.client("iam")
    role = f"kubecost-{PRIMARY}-cost-analyzer"
    old = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {"aws:SourceAccount": sandbox.state.account},
                      "ArnEquals": {"aws:SourceArn": sandbox.context(PRIMARY)}},
    }]}  # fmt: skip
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(old))
    code, clusters = doctor(sandbox, fleet, PRIMARY, wait="0s")
    checks = clusters[PRIMARY]
    assert code == 2
    trust = checks["pod-identity.cost-analyzer.trust"]
    assert trust["status"] == "fail", trust
    assert "trust uses the cluster ARN as aws:SourceArn; EKS sends the association ARN" in trust["evidence"]
    assert "re-run bootstrap" in trust["fix"]
    assert checks["promql.kubecost.memory"]["status"] != "pass"  # refused, as on AWS
    plan = sandbox.ampctl("bootstrap", "--dry-run", "--context", sandbox.context(PRIMARY), cwd=fleet)
    assert "trust policy" in plan.stdout + plan.stderr
    boot(sandbox, fleet)
    statement = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert "aws:SourceArn" not in json.dumps(statement)
    assert repaired(sandbox, fleet, PRIMARY)["pod-identity.cost-analyzer.trust"]["status"] == "pass"


def test_auto_mode_needs_no_add_on(sandbox: Sandbox, fleet: Path) -> None:
    """WEST is an EKS Auto Mode cluster: --install-pod-identity-agent installed nothing, doctor says why."""
    assert sandbox.client("eks").list_addons(clusterName=WEST)["addons"] == []
    code, clusters = doctor(sandbox, fleet, WEST)
    agent = clusters[WEST]["pod-identity.agent"]
    assert code == 0 and agent["status"] == "pass", [clusters[WEST][i] for i in failing(clusters[WEST])]
    assert "EKS Auto Mode" in agent["evidence"]


def test_a_self_managed_agent_is_accepted(sandbox: Sandbox, fleet: Path) -> None:
    """EAST runs the agent as its own DaemonSet, without the add-on: bootstrap and doctor accept it."""
    from kubernetes import client as k8s

    sandbox.client("eks").delete_addon(clusterName=EAST, addonName=AGENT)
    apps = k8s.AppsV1Api(sandbox.kube(EAST).api_client)
    labels = {"app.kubernetes.io/name": AGENT}
    apps.create_namespaced_daemon_set("kube-system", {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": AGENT, "namespace": "kube-system"},
        "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {
            "containers": [{"name": AGENT, "image": "public.ecr.aws/eks/eks-pod-identity-agent:v0.1.29"}]}}},
    })  # fmt: skip
    try:
        ok(sandbox.ampctl("add-cluster", "--yes", "--context", sandbox.context(EAST), cwd=fleet))
        checks = repaired(sandbox, fleet, EAST)
        assert "self-managed" in checks["pod-identity.agent"]["evidence"], checks["pod-identity.agent"]
    finally:
        apps.delete_namespaced_daemon_set(AGENT, "kube-system")
        ok(sandbox.ampctl("add-cluster", "--yes", "--install-pod-identity-agent", "--context", sandbox.context(EAST),
                          cwd=fleet))  # fmt: skip


def test_a_deleted_add_on_fails_doctor_and_bootstrap_repairs_it(sandbox: Sandbox, fleet: Path) -> None:
    sandbox.client("eks").delete_addon(clusterName=PRIMARY, addonName=AGENT)
    code, clusters = doctor(sandbox, fleet, PRIMARY, wait="0s")
    checks = clusters[PRIMARY]
    assert code == 2
    assert "pod-identity.agent" in failing(checks)
    assert failing(checks) <= {"pod-identity.agent", "promql.kubecost.memory", "promql.kubecost.node-cost"}
    assert "--install-pod-identity-agent" in checks["pod-identity.agent"]["fix"]
    refused = sandbox.ampctl("bootstrap", "--yes", "--context", sandbox.context(PRIMARY), cwd=fleet)
    assert refused.returncode == 1
    assert f"{AGENT} is not installed" in refused.stderr and "--install-pod-identity-agent" in refused.stderr
    assert "no Pod Identity agent" in checks["pod-identity.agent"]["evidence"]
    boot(sandbox, fleet, "--install-pod-identity-agent")
    repaired(sandbox, fleet, PRIMARY)


def test_an_old_proxy_image_fails_doctor_and_bootstrap_repairs_it(sandbox: Sandbox, fleet: Path) -> None:
    boot(sandbox, fleet, "--set", "sigV4Proxy.image=public.ecr.aws/aws-observability/aws-sigv4-proxy:1.8")
    code, clusters = doctor(sandbox, fleet, PRIMARY, wait="0s")
    checks = clusters[PRIMARY]
    assert code == 2
    assert "pod-identity.sigv4-proxy-image" in failing(checks), [checks[i] for i in failing(checks)]
    assert failing(checks) <= {"pod-identity.sigv4-proxy-image", "logs.sigv4proxy"}
    assert checks["promql.kubecost.memory"]["status"] != "pass"  # the proxy finds no credentials, as in AWS
    boot(sandbox, fleet)
    assert repaired(sandbox, fleet, PRIMARY)["pod-identity.sigv4-proxy-image"]["status"] == "pass"


def test_migration_to_irsa_and_back_is_planned_and_applied(sandbox: Sandbox, fleet: Path) -> None:
    to_irsa = sandbox.ampctl("bootstrap", "--dry-run", "--identity", "irsa", "--override-fleet-shape",
                             "--context", sandbox.context(PRIMARY), cwd=fleet)  # fmt: skip
    assert to_irsa.returncode == 0, to_irsa.stderr
    plan = to_irsa.stderr + to_irsa.stdout
    assert "trust policy (to IRSA)" in plan
    assert plan.count("- delete pod identity association") == 2
    assert "back to IRSA" in plan and "update helm release" in plan
    assert f"annotation {ANNOTATION} is missing" in plan
    assert "(ampctl/identity" in plan and "pod-identity -> irsa)" in plan, plan
    boot(sandbox, fleet, "--identity", "irsa", "--override-fleet-shape")
    assert associations(sandbox, PRIMARY) == {}
    account = sandbox.kube(PRIMARY).read_namespaced_service_account(SAS[0], NS)
    assert account.metadata.annotations[ANNOTATION].endswith(f"role/kubecost-{PRIMARY}-cost-analyzer")
    assert repaired(sandbox, fleet, PRIMARY)["irsa.cost-analyzer.role"]["status"] == "pass"
    _, others = doctor(sandbox, fleet, EAST, wait="0s")  # still on Pod Identity: not as the fleet now
    assert "identity pod-identity, the fleet's is irsa" in others[EAST]["fleet.shape"]["evidence"]
    assert others[EAST]["fleet.shape"]["status"] == "fail"

    back = sandbox.ampctl("bootstrap", "--dry-run", "--identity", "pod-identity",
                          "--override-fleet-shape", "--context", sandbox.context(PRIMARY), cwd=fleet)  # fmt: skip
    assert back.returncode == 0, back.stderr
    plan = back.stderr + back.stdout
    assert "trust policy (to EKS Pod Identity)" in plan
    assert plan.count("+ create pod identity association") == 2
    assert f"remove annotation {ANNOTATION}" in plan
    boot(sandbox, fleet, "--identity", "pod-identity", "--override-fleet-shape")
    assert set(associations(sandbox, PRIMARY)) == set(SAS)
    repaired(sandbox, fleet, PRIMARY)


def test_add_cluster_refuses_another_identity_than_the_fleets(sandbox: Sandbox, fleet: Path) -> None:
    sandbox.clear_aws_calls()
    proc = sandbox.ampctl("add-cluster", "--yes", "--identity", "irsa", "--context", sandbox.context(EAST), cwd=fleet)
    assert proc.returncode == 1
    assert "pod-identity (recorded), but --identity asks for irsa" in proc.stderr
    assert sandbox.aws_mutations() == []


def test_a_chart_without_pod_identity_is_refused_before_any_call(sandbox: Sandbox, fleet: Path) -> None:
    sandbox.clear_aws_calls()
    proc = sandbox.ampctl("bootstrap", "--federated", "--yes", "--identity", "pod-identity", "--kubecost-version",
                          "2.1.0", "--context", sandbox.context(PRIMARY), cwd=fleet)  # fmt: skip
    assert proc.returncode == 1
    assert "Kubecost 2.1.0 does not support EKS Pod Identity" in proc.stderr
    assert "--kubecost-version" in proc.stderr and "--identity irsa" in proc.stderr
    assert "Traceback" not in proc.stderr
    calls = sandbox._get(f"{sandbox.state.aws_endpoint}/_sandbox/calls")
    assert calls == []


def test_teardown_removes_the_associations(sandbox: Sandbox, fleet: Path) -> None:
    contexts = [arg for c in (PRIMARY, EAST, WEST) for arg in ("--context", sandbox.context(c))]
    ok(sandbox.ampctl("teardown", "--yes", *contexts, cwd=fleet))
    for cluster in (PRIMARY, EAST, WEST):
        assert associations(sandbox, cluster) == {}
