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

from ampctl.sandbox.amp.emulator import AmpEmulator
from ampctl.sandbox.aws.emulator import AwsEmulator
from ampctl.sandbox.config import SandboxConfig
from ampctl.sandbox.kubeapi import KubeEmulator
from ampctl.sandbox.kubecost.chartrepo import CHARTS_DIR
from ampctl.sandbox.kubecost.standin import KubecostStandIn

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
class Stack:
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

    def log_with(self, deployment: str, container: str, needle: str, timeout: float = 10.0) -> str:
        """The container's log once it holds `needle`."""

        def holding() -> str | None:
            text = self.logs(deployment, container)
            return text if needle in text else None

        return until(holding, timeout, f"{needle!r} in the {container} log")

    def query_until(self, promql: str, accept: Callable[[int, dict[str, Any]], bool], what: str) -> dict[str, Any]:
        """The body of the first answer to `promql` that `accept(status, body)` takes."""
        return until(
            lambda: body if accept(*(answer := self.query(promql))) and (body := answer[1]) else None, 10, what
        )

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
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": f"arn:aws:s3:::{BUCKET}"},
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
             "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]},
        ],
    })  # fmt: skip


def tls_only_policy() -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
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
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_policy(Bucket=BUCKET, Policy=tls_only_policy())
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
def stack(tmp_path_factory: pytest.TempPathFactory, prometheus_bin: str, helm3: str, kubectl: str) -> Iterator[Stack]:
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
        box = Stack(aws, kube, standin, helm3, kubectl, kubeconfig, workspace, roles, seed_values(workspace))
        box.helm_upgrade()
        yield box
    finally:
        standin.stop()
        amp.stop()
        kube.stop()
        aws.stop()


def series_for(box: Stack, metric: str) -> list[dict[str, Any]]:
    status, body = box.query(f'{metric}{{cluster_id="{CLUSTER}"}}')
    return body["data"]["result"] if status == 200 and body.get("status") == "success" else []


def latest_sample(box: Stack) -> float:
    status, body = box.query(f'max(timestamp(node_total_hourly_cost{{cluster_id="{CLUSTER}"}}))')
    assert status == 200, body
    return float(body["data"]["result"][0]["value"][1])


def test_working_install_answers_with_the_fed_series(stack: Stack) -> None:
    memory = until(lambda: series_for(stack, "container_memory_working_set_bytes"), 20, "cAdvisor series")
    labels = memory[0]["metric"]
    assert labels["cluster_id"] == CLUSTER
    assert labels["job"] == "kubernetes-nodes-cadvisor"
    assert {"container", "pod", "namespace", "instance"} <= set(labels)
    assert any(s["metric"]["container"] == "sigv4proxy" for s in memory)
    cost = until(lambda: series_for(stack, "node_total_hourly_cost"), 10, "node cost series")
    assert cost[0]["metric"]["job"] == "kubecost"
    assert cost[0]["metric"]["cluster_id"] == CLUSTER

    proxy_log = stack.logs("kubecost-cost-analyzer", "sigv4proxy").splitlines()
    assert len(proxy_log) == 4, proxy_log  # aws-sigv4-proxy v1.9+ cmd/aws-sigv4-proxy/main.go
    assert 'msg="Custom headers, values are redacted: []"' in proxy_log[0]
    assert 'msg="Stripping headers []" StripHeaders="[]"' in proxy_log[1]
    assert 'msg="Duplicating headers []" DuplicateHeaders="[]"' in proxy_log[2]
    assert 'msg="Listening on :8005" port=":8005"' in proxy_log[3]
    assert "level=error" not in stack.logs("kubecost-prometheus-server", "prometheus-server")
    assert " ERR " not in stack.logs("kubecost-cost-analyzer", "cost-model")


def test_federated_etl_lands_under_the_cluster_id(stack: Stack) -> None:
    s3 = stack.aws.client("s3")

    def keys() -> list[str]:
        found = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"federated/{CLUSTER}/etl/").get("Contents", [])
        return [o["Key"] for o in found]

    assert until(keys, 15, "an ETL object")[0].startswith(f"federated/{CLUSTER}/etl/")


def test_wrong_sigv4proxy_region_fails_like_amp(stack: Stack) -> None:
    until(lambda: series_for(stack, "node_total_hourly_cost"), 20, "data")
    stack.helm_upgrade(**{"sigV4Proxy.region": "us-west-2"})
    try:
        body = stack.query_until("up", lambda status, _: status == 403, "a 403")
        assert "scoped to a valid region" in json.dumps(body)
        # the real proxy logs a failed request only with --log-failed-requests or -v, which the chart never passes
        assert "error proxying request" not in stack.logs("kubecost-cost-analyzer", "sigv4proxy")
        model_log = stack.logs("kubecost-cost-analyzer", "cost-model")
        assert "ERR Prometheus communication error: 403" in model_log
        stack.helm_upgrade(
            **{"sigV4Proxy.region": "us-west-2", "sigV4Proxy.host": "aps-workspaces.us-west-2.amazonaws.com"}
        )
        body = stack.query_until("up", lambda status, _: status == 404, "a 404")
        assert "Workspace not found" in json.dumps(body)
    finally:
        stack.helm_upgrade()
    until(lambda: stack.query("up")[0] == 200, 10, "recovery")


def test_missing_irsa_annotation_leaves_the_proxy_without_credentials(stack: Stack) -> None:
    stack.kubectl_run("annotate", "serviceaccount", CA_SA, "eks.amazonaws.com/role-arn-")
    try:
        stack.query_until("up", lambda status, _: status == 502, "a 502")
        proxy_log = stack.logs("kubecost-cost-analyzer", "sigv4proxy")
        assert 'msg="unable to proxy request" error="NoCredentialProviders: no valid providers in chain.' in proxy_log
        assert "ERR Prometheus communication error: 502 (Bad Gateway)" in stack.logs(
            "kubecost-cost-analyzer", "cost-model"
        )
    finally:
        role = stack.roles[CA_SA]
        stack.kubectl_run("annotate", "--overwrite", "serviceaccount", CA_SA, f"eks.amazonaws.com/role-arn={role}")
    assert stack.query("up")[0] == 200


def test_detached_query_policy_gives_403_through_the_proxy(stack: Stack) -> None:
    iam = stack.aws.client("iam")
    role_name = stack.roles[CA_SA].rsplit("/", 1)[1]
    iam.detach_role_policy(RoleName=role_name, PolicyArn=QUERY_ACCESS)
    try:
        status, body = stack.query("up")
        assert status == 403
        assert "is not authorized to perform: aps:QueryMetrics" in json.dumps(body)
        # the proxy passes AMP's answer on without logging it (no --log-failed-requests in the chart)
        assert "status_code=403" not in stack.logs("kubecost-cost-analyzer", "sigv4proxy")
    finally:
        iam.attach_role_policy(RoleName=role_name, PolicyArn=QUERY_ACCESS)
    assert stack.query("up")[0] == 200


def test_detached_remote_write_policy_stops_the_data(stack: Stack) -> None:
    iam = stack.aws.client("iam")
    role_name = stack.roles[PROM_SA].rsplit("/", 1)[1]
    until(lambda: series_for(stack, "node_total_hourly_cost"), 20, "data")
    iam.detach_role_policy(RoleName=role_name, PolicyArn=WRITE_ACCESS)
    try:
        log = stack.log_with("kubecost-prometheus-server", "prometheus-server", "non-recoverable error")
        assert "component=remote" in log
        assert 'err="server returned HTTP status 403 Forbidden: {\\"message\\": \\"User: arn:aws:sts::' in log
        assert "aps:RemoteWrite" in log
        before = latest_sample(stack)
        time.sleep(1.5)
        assert latest_sample(stack) == before
    finally:
        iam.attach_role_policy(RoleName=role_name, PolicyArn=WRITE_ACCESS)
    until(lambda: latest_sample(stack) > before, 10, "writes to resume")


def test_https_endpoint_breaks_the_sidecar_connection(stack: Stack) -> None:
    https = f"https://localhost:8005/workspaces/{stack.workspace}"
    stack.helm_upgrade(**{"global.amp.prometheusServerEndpoint": https})
    try:
        status, body = stack.query("up")
        assert status == 502
        assert "server gave HTTP response to HTTPS client" in body["message"]
        log = stack.logs("kubecost-cost-analyzer", "cost-model")
        assert f'ERR Prometheus communication error: Get "{https}/api/v1/query?query=up"' in log
    finally:
        stack.helm_upgrade()
    assert stack.query("up")[0] == 200


def test_remote_write_set_twice_stops_prometheus(stack: Stack) -> None:
    stack.helm_upgrade(**{"prometheus.server.remoteWrite[0].url": "http://example.invalid/api/v1/write"})
    try:
        log = stack.log_with("kubecost-prometheus-server", "prometheus-server", "already defined")
        assert 'msg="Error loading config (--config.file=/etc/config/prometheus.yml)"' in log
        assert 'mapping key \\"remote_write\\" already defined at line' in log
    finally:
        stack.helm_upgrade()


def test_etl_denied_without_the_s3_policy(stack: Stack) -> None:
    iam = stack.aws.client("iam")
    role_name = stack.roles[CA_SA].rsplit("/", 1)[1]
    policy = f"arn:aws:iam::{ACCOUNT}:policy/kubecost-s3-federated-policy-{CLUSTER}"
    iam.detach_role_policy(RoleName=role_name, PolicyArn=policy)
    try:
        log = stack.log_with("kubecost-cost-analyzer", "cost-model", "AccessDenied", 15)
        assert "ERR ETL" in log and "s3:PutObject" in log
    finally:
        iam.attach_role_policy(RoleName=role_name, PolicyArn=policy)


def test_pause_and_extra_writer(stack: Stack) -> None:
    stack.standin.add_extra_writer("not-in-fleet", stack.workspace, REGION)
    body = stack.query_until(
        'node_total_hourly_cost{cluster_id="not-in-fleet"}',
        lambda status, body: status == 200 and bool(body["data"]["result"]),
        "the extra writer's series",
    )
    assert body["data"]["result"][0]["metric"]["job"] == "kubecost"
    stack.standin.pause_feeder(CLUSTER, True)
    try:
        before = latest_sample(stack)
        time.sleep(1.5)
        assert latest_sample(stack) == before
    finally:
        stack.standin.pause_feeder(CLUSTER, False)
    until(lambda: latest_sample(stack) > before, 10, "writes to resume")
    with pytest.raises(KeyError):
        stack.standin.pause_feeder("no-such-cluster", True)
