"""The Kubecost stand-in against the real sandbox parts: the stand-in chart installed by helm 3 into
the Kubernetes API emulator, IRSA roles in the AWS emulator, a real Prometheus behind the AMP
emulator. Each failure test breaks one thing, shows the failure real pods show, and mends it."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from ampctl.sandbox.amp import AmpEmulator
from ampctl.sandbox.aws import AwsEmulator
from ampctl.sandbox.chartrepo import CHARTS_DIR
from ampctl.sandbox.config import SandboxConfig
from ampctl.sandbox.kubeapi import KubeEmulator
from ampctl.sandbox.kubecost import KubecostStandIn

ACCOUNT = "100000000031"
REGION = "us-east-2"
CLUSTER = "kc-prod"
NS = "kubecost"
BUCKET = "kc-standin-etl"
QUERY_ACCESS = "arn:aws:iam::aws:policy/AmazonPrometheusQueryAccess"
WRITE_ACCESS = "arn:aws:iam::aws:policy/AmazonPrometheusRemoteWriteAccess"
CA_SA, PROM_SA = "kubecost-cost-analyzer-amp", "kubecost-prometheus-server-amp"
T = TypeVar("T")


@dataclass
class Sandbox:
    aws: AwsEmulator
    kube: KubeEmulator
    standin: KubecostStandIn
    helm: str
    kubectl: str
    kubeconfig: Path
    workspace: str
    roles: dict[str, str]
    values: dict[str, str]

    def helm_upgrade(self, **changes: str) -> None:
        values = {**self.values, **changes}
        args = [self.helm, "upgrade", "--install", "kubecost", str(CHARTS_DIR / "cost-analyzer-2.8.7")]
        args += ["--namespace", NS, "--kubeconfig", str(self.kubeconfig)]
        for key, value in values.items():
            args += ["--set", f"{key}={value}"]
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr

    def kubectl_run(self, *args: str) -> str:
        done = subprocess.run(
            [self.kubectl, "--kubeconfig", str(self.kubeconfig), "-n", NS, *args],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    def logs(self, deployment: str, container: str) -> str:
        return self.kubectl_run("logs", f"deployment/{deployment}", "-c", container)

    def query(self, promql: str) -> tuple[int, dict[str, Any]]:
        """cost-model's /prometheusQuery through the API server's service proxy."""
        path = f"/api/v1/namespaces/{NS}/services/kubecost-cost-analyzer:tcp-model/proxy/prometheusQuery"
        url = self.kube.url(CLUSTER) + path + "?" + urllib.parse.urlencode({"query": promql})
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")


def until(check: Callable[[], T | None], timeout: float = 15.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def irsa_trust(aws: AwsEmulator, service_account: str) -> str:
    issuer = aws.cluster_issuer(CLUSTER).removeprefix("https://")
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                f"{issuer}:sub": f"system:serviceaccount:{NS}:{service_account}",
                f"{issuer}:aud": "sts.amazonaws.com",
            }},
        }],
    })  # fmt: skip


def s3_policy() -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": f"arn:aws:s3:::{BUCKET}"},
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
             "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]},
        ],
    })  # fmt: skip


def prepare_cluster(aws: AwsEmulator, kube: KubeEmulator) -> tuple[str, dict[str, str]]:
    """The guide's manual steps: workspace, bucket, roles, namespace, annotated SAs, object-store Secret."""
    iam = aws.client("iam")
    s3_arn = iam.create_policy(PolicyName=f"kubecost-s3-federated-policy-{CLUSTER}", PolicyDocument=s3_policy())
    roles = {}
    for sa, extra in ((CA_SA, [s3_arn["Policy"]["Arn"]]), (PROM_SA, [])):
        role = iam.create_role(RoleName=f"{CLUSTER}-{sa}", AssumeRolePolicyDocument=irsa_trust(aws, sa))
        for policy in (QUERY_ACCESS, WRITE_ACCESS, *extra):
            iam.attach_role_policy(RoleName=role["Role"]["RoleName"], PolicyArn=policy)
        roles[sa] = role["Role"]["Arn"]
    workspace = aws.client("amp").create_workspace(alias="kubecost-amp")["workspaceId"]
    aws.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    store = kube.store(CLUSTER)
    store.create("v1", "namespaces", {"metadata": {"name": NS}})
    for sa, role in roles.items():
        annotations = {"eks.amazonaws.com/role-arn": role}
        store.create("v1", "serviceaccounts", {"metadata": {"name": sa, "namespace": NS, "annotations": annotations}})
    federated = {"type": "S3", "config": {"bucket": BUCKET, "endpoint": "s3.amazonaws.com", "region": REGION}}
    store.create("v1", "secrets", {
        "metadata": {"name": "kubecost-object-store", "namespace": NS},
        "stringData": {"federated-store.yaml": yaml.safe_dump(federated)},
    })  # fmt: skip
    return workspace, roles


def seed_values(workspace: str) -> dict[str, str]:
    return {
        "global.amp.enabled": "true",
        "global.amp.prometheusServerEndpoint": f"http://localhost:8005/workspaces/{workspace}",
        "global.amp.remoteWriteService": (
            f"https://aps-workspaces.{REGION}.amazonaws.com/workspaces/{workspace}/api/v1/remote_write"
        ),
        "global.amp.sigv4.region": REGION,
        "sigV4Proxy.region": REGION,
        "sigV4Proxy.host": f"aps-workspaces.{REGION}.amazonaws.com",
        "kubecostProductConfigs.clusterName": CLUSTER,
        "prometheus.server.global.external_labels.cluster_id": CLUSTER,
        "serviceAccount.create": "false",
        "serviceAccount.name": CA_SA,
        "prometheus.serviceAccounts.server.create": "false",
        "prometheus.serviceAccounts.server.name": PROM_SA,
        "kubecostModel.federatedStorageConfigSecret": "kubecost-object-store",
        "federatedETL.federatedCluster": "true",
        "federatedETL.useMultiClusterDB": "true",
    }


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, prometheus_bin: str, helm3: str, kubectl: str
) -> Iterator[Sandbox]:
    tmp = tmp_path_factory.mktemp("kubecost")
    config = SandboxConfig(state_dir=tmp, account=ACCOUNT, region=REGION, clusters=(CLUSTER,))
    aws = AwsEmulator(config)
    aws.start()
    kube = KubeEmulator(clusters=[CLUSTER])
    kube.start()
    amp = AmpEmulator(aws, prometheus_bin, tmp / "amp")
    amp_url = amp.start()
    standin = KubecostStandIn(kube, aws, amp_url, {CLUSTER: REGION}, feeder_interval=0.5, resync_interval=0.5)
    standin.start()
    kubeconfig = tmp / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(kube.kubeconfig()))
    try:
        workspace, roles = prepare_cluster(aws, kube)
        box = Sandbox(aws, kube, standin, helm3, kubectl, kubeconfig, workspace, roles, seed_values(workspace))
        box.helm_upgrade()
        yield box
    finally:
        standin.stop()
        amp.stop()
        kube.stop()
        aws.stop()


def series_for(box: Sandbox, metric: str) -> list[dict[str, Any]]:
    status, body = box.query(f'{metric}{{cluster_id="{CLUSTER}"}}')
    return body["data"]["result"] if status == 200 and body.get("status") == "success" else []


def latest_sample(box: Sandbox) -> float:
    status, body = box.query(f'max(timestamp(node_total_hourly_cost{{cluster_id="{CLUSTER}"}}))')
    assert status == 200, body
    return float(body["data"]["result"][0]["value"][1])


def test_working_install_answers_with_the_fed_series(sandbox: Sandbox) -> None:
    memory = until(lambda: series_for(sandbox, "container_memory_working_set_bytes"), 20, "cAdvisor series")
    labels = memory[0]["metric"]
    assert labels["cluster_id"] == CLUSTER
    assert labels["job"] == "kubernetes-nodes-cadvisor"
    assert {"container", "pod", "namespace", "instance"} <= set(labels)
    assert any(s["metric"]["container"] == "sigv4proxy" for s in memory)
    cost = until(lambda: series_for(sandbox, "node_total_hourly_cost"), 10, "node cost series")
    assert cost[0]["metric"]["job"] == "kubecost"
    assert cost[0]["metric"]["cluster_id"] == CLUSTER

    proxy_log = sandbox.logs("kubecost-cost-analyzer", "sigv4proxy").splitlines()
    assert len(proxy_log) == 2, proxy_log
    assert 'msg="Stripping headers []" StripHeaders="[]"' in proxy_log[0]
    assert 'msg="Listening on :8005" port=":8005"' in proxy_log[1]
    assert "level=error" not in sandbox.logs("kubecost-prometheus-server", "prometheus-server")
    assert " ERR " not in sandbox.logs("kubecost-cost-analyzer", "cost-model")


def test_federated_etl_lands_under_the_cluster_id(sandbox: Sandbox) -> None:
    s3 = sandbox.aws.client("s3")

    def keys() -> list[str]:
        found = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"federated/{CLUSTER}/etl/").get("Contents", [])
        return [o["Key"] for o in found]

    assert until(keys, 15, "an ETL object")[0].startswith(f"federated/{CLUSTER}/etl/")


def test_wrong_sigv4proxy_region_fails_like_amp(sandbox: Sandbox) -> None:
    until(lambda: series_for(sandbox, "node_total_hourly_cost"), 20, "data")
    sandbox.helm_upgrade(**{"sigV4Proxy.region": "us-west-2"})
    try:
        status, body = until(lambda: (r := sandbox.query("up"))[0] != 200 and r, 10, "a failing query")
        assert status == 403
        assert "scoped to a valid region" in json.dumps(body)
        proxy_log = until(
            lambda: "status_code=403" in (t := sandbox.logs("kubecost-cost-analyzer", "sigv4proxy")) and t
        )
        assert 'msg="error proxying request"' in proxy_log
        model_log = sandbox.logs("kubecost-cost-analyzer", "cost-model")
        assert "ERR Prometheus communication error: 403" in model_log
        sandbox.helm_upgrade(
            **{"sigV4Proxy.region": "us-west-2", "sigV4Proxy.host": "aps-workspaces.us-west-2.amazonaws.com"}
        )
        status, body = until(lambda: (r := sandbox.query("up"))[0] == 404 and r, 10, "workspace not found")
        assert "Workspace not found" in json.dumps(body)
    finally:
        sandbox.helm_upgrade()
    until(lambda: sandbox.query("up")[0] == 200, 10, "recovery")


def test_missing_irsa_annotation_leaves_the_proxy_without_credentials(sandbox: Sandbox) -> None:
    sandbox.kubectl_run("annotate", "serviceaccount", CA_SA, "eks.amazonaws.com/role-arn-")
    try:
        status, body = until(lambda: (r := sandbox.query("up"))[0] != 200 and r, 10, "a failing query")
        assert status == 502
        proxy_log = sandbox.logs("kubecost-cost-analyzer", "sigv4proxy")
        assert 'msg="unable to proxy request" error="NoCredentialProviders: no valid providers in chain.' in proxy_log
        assert "ERR Prometheus communication error: 502 (Bad Gateway)" in sandbox.logs(
            "kubecost-cost-analyzer", "cost-model"
        )
    finally:
        role = sandbox.roles[CA_SA]
        sandbox.kubectl_run("annotate", "--overwrite", "serviceaccount", CA_SA, f"eks.amazonaws.com/role-arn={role}")
    assert sandbox.query("up")[0] == 200


def test_detached_query_policy_gives_403_in_the_proxy_log(sandbox: Sandbox) -> None:
    iam = sandbox.aws.client("iam")
    role_name = sandbox.roles[CA_SA].rsplit("/", 1)[1]
    iam.detach_role_policy(RoleName=role_name, PolicyArn=QUERY_ACCESS)
    try:
        status, body = sandbox.query("up")
        assert status == 403
        assert "is not authorized to perform: aps:QueryMetrics" in json.dumps(body)
        proxy_log = sandbox.logs("kubecost-cost-analyzer", "sigv4proxy")
        assert "status_code=403" in proxy_log and "aps:QueryMetrics" in proxy_log
    finally:
        iam.attach_role_policy(RoleName=role_name, PolicyArn=QUERY_ACCESS)
    assert sandbox.query("up")[0] == 200


def test_detached_remote_write_policy_stops_the_data(sandbox: Sandbox) -> None:
    iam = sandbox.aws.client("iam")
    role_name = sandbox.roles[PROM_SA].rsplit("/", 1)[1]
    until(lambda: series_for(sandbox, "node_total_hourly_cost"), 20, "data")
    iam.detach_role_policy(RoleName=role_name, PolicyArn=WRITE_ACCESS)
    try:
        log = until(
            lambda: (
                "non-recoverable error" in (t := sandbox.logs("kubecost-prometheus-server", "prometheus-server")) and t
            ),
            10,
            "a remote-write error",
        )
        assert "component=remote" in log
        assert 'err="server returned HTTP status 403 Forbidden: {\\"message\\": \\"User: arn:aws:sts::' in log
        assert "aps:RemoteWrite" in log
        before = latest_sample(sandbox)
        time.sleep(1.5)
        assert latest_sample(sandbox) == before
    finally:
        iam.attach_role_policy(RoleName=role_name, PolicyArn=WRITE_ACCESS)
    until(lambda: latest_sample(sandbox) > before, 10, "writes to resume")


def test_https_endpoint_breaks_the_sidecar_connection(sandbox: Sandbox) -> None:
    https = f"https://localhost:8005/workspaces/{sandbox.workspace}"
    sandbox.helm_upgrade(**{"global.amp.prometheusServerEndpoint": https})
    try:
        status, body = sandbox.query("up")
        assert status == 502
        assert "server gave HTTP response to HTTPS client" in body["message"]
        log = sandbox.logs("kubecost-cost-analyzer", "cost-model")
        assert f'ERR Prometheus communication error: Get "{https}/api/v1/query?query=up"' in log
    finally:
        sandbox.helm_upgrade()
    assert sandbox.query("up")[0] == 200


def test_remote_write_set_twice_stops_prometheus(sandbox: Sandbox) -> None:
    sandbox.helm_upgrade(**{"prometheus.server.remoteWrite[0].url": "http://example.invalid/api/v1/write"})
    try:
        log = until(
            lambda: "already defined" in (t := sandbox.logs("kubecost-prometheus-server", "prometheus-server")) and t,
            10,
            "a config error",
        )
        assert 'msg="Error loading config (--config.file=/etc/config/prometheus.yml)"' in log
        assert 'mapping key \\"remote_write\\" already defined at line' in log
    finally:
        sandbox.helm_upgrade()


def test_etl_denied_without_the_s3_policy(sandbox: Sandbox) -> None:
    iam = sandbox.aws.client("iam")
    role_name = sandbox.roles[CA_SA].rsplit("/", 1)[1]
    policy = f"arn:aws:iam::{ACCOUNT}:policy/kubecost-s3-federated-policy-{CLUSTER}"
    iam.detach_role_policy(RoleName=role_name, PolicyArn=policy)
    try:
        log = until(
            lambda: "AccessDenied" in (t := sandbox.logs("kubecost-cost-analyzer", "cost-model")) and t, 15, "denial"
        )
        assert "ERR ETL" in log and "s3:PutObject" in log
    finally:
        iam.attach_role_policy(RoleName=role_name, PolicyArn=policy)


def test_pause_and_extra_writer(sandbox: Sandbox) -> None:
    sandbox.standin.add_extra_writer("not-in-fleet", sandbox.workspace, REGION)
    status, body = until(
        lambda: (r := sandbox.query('node_total_hourly_cost{cluster_id="not-in-fleet"}'))[1]["data"]["result"] and r,
        10,
        "the extra writer's series",
    )
    assert status == 200
    sandbox.standin.pause_feeder(CLUSTER, True)
    try:
        before = latest_sample(sandbox)
        time.sleep(1.5)
        assert latest_sample(sandbox) == before
    finally:
        sandbox.standin.pause_feeder(CLUSTER, False)
    until(lambda: latest_sample(sandbox) > before, 10, "writes to resume")
    with pytest.raises(KeyError):
        sandbox.standin.pause_feeder("no-such-cluster", True)
