"""The AWS emulator: moto behind a middleware, exercised with real boto3 clients."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ampctl.sandbox.aws.emulator import AwsEmulator
from ampctl.sandbox.config import OPERATOR_ACCESS_KEY, OPERATOR_SECRET_KEY, Faults, SandboxConfig

ACCOUNT = "100000000001"
FAULTY_ACCOUNT = "100000000002"
REGION = "us-east-2"
POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
)
CLUSTERS = ("alpha", "beta")


def client(aws: AwsEmulator, service: str, attempts: int = 3) -> Any:
    session = boto3.session.Session(
        aws_access_key_id=OPERATOR_ACCESS_KEY,
        aws_secret_access_key=OPERATOR_SECRET_KEY,
        region_name=REGION,
    )
    return session.client(
        service,
        endpoint_url=aws.endpoint,
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


def http(aws: AwsEmulator, method: str, path: str) -> Any:
    request = urllib.request.Request(aws.endpoint + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsEmulator]:
    config = SandboxConfig(state_dir=tmp_path_factory.mktemp("aws"), account=ACCOUNT, region=REGION, clusters=CLUSTERS)
    emulator = AwsEmulator(config)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsEmulator]:
    config = SandboxConfig(
        state_dir=tmp_path_factory.mktemp("faulty"),
        account=FAULTY_ACCOUNT,
        region=REGION,
        clusters=("gamma",),
    )
    emulator = AwsEmulator(config)
    emulator.start()
    yield emulator
    emulator.stop()


def test_services_answer_through_the_endpoint(aws: AwsEmulator) -> None:
    assert aws.endpoint.startswith("http://127.0.0.1:")
    assert client(aws, "sts").get_caller_identity()["Account"] == ACCOUNT

    amp = client(aws, "amp")
    workspace = amp.create_workspace(alias="svc-check")
    described = amp.describe_workspace(workspaceId=workspace["workspaceId"])["workspace"]
    assert described["status"]["statusCode"] == "ACTIVE"
    assert f":{ACCOUNT}:workspace/" in described["arn"]
    amp.delete_workspace(workspaceId=workspace["workspaceId"])

    s3 = client(aws, "s3")
    s3.create_bucket(Bucket="svc-check-bucket", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="svc-check-bucket", Key="federated/a.json", Body=b"{}")
    assert s3.get_object(Bucket="svc-check-bucket", Key="federated/a.json")["Body"].read() == b"{}"
    assert s3.head_object(Bucket="svc-check-bucket", Key="federated/a.json")["ContentLength"] == 2

    iam = client(aws, "iam")
    iam.create_role(RoleName="svc-check", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
    iam.attach_role_policy(RoleName="svc-check", PolicyArn="arn:aws:iam::aws:policy/AmazonPrometheusQueryAccess")
    attached = iam.list_attached_role_policies(RoleName="svc-check")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonPrometheusQueryAccess"]

    assert client(aws, "eks").describe_cluster(name="alpha")["cluster"]["status"] == "ACTIVE"


def test_clusters_and_oidc_providers_are_seeded(aws: AwsEmulator) -> None:
    eks = client(aws, "eks")
    assert sorted(eks.list_clusters()["clusters"]) == sorted(CLUSTERS)
    issuers = {name: eks.describe_cluster(name=name)["cluster"]["identity"]["oidc"]["issuer"] for name in CLUSTERS}
    assert issuers == {name: aws.cluster_issuer(name) for name in CLUSTERS}
    assert len(set(issuers.values())) == len(CLUSTERS)
    assert all(i.startswith(f"https://oidc.eks.{REGION}.amazonaws.com/id/") for i in issuers.values())

    iam = client(aws, "iam")
    arns = sorted(p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"])
    assert arns == sorted(aws.oidc_provider_arn(i) for i in issuers.values())
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arns[0])
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    assert len(provider["ThumbprintList"][0]) == 40


def test_no_oidc_providers_when_disabled(aws: AwsEmulator, tmp_path: Path) -> None:
    config = SandboxConfig(
        state_dir=tmp_path, account="100000000003", region=REGION, clusters=("solo",), oidc_providers=False
    )
    other = AwsEmulator(config)
    other.start()
    try:
        assert client(other, "eks").list_clusters()["clusters"] == ["solo"]
        providers = client(other, "iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]
        assert providers == []
    finally:
        other.stop()
    # The other account's start and reset left this one alone.
    assert len(client(aws, "iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]) == 2


def test_create_workspace_honours_client_token(aws: AwsEmulator) -> None:
    amp = client(aws, "amp")
    first = amp.create_workspace(alias="idem", clientToken="token-1")
    again = amp.create_workspace(alias="idem", clientToken="token-1")
    assert (again["workspaceId"], again["arn"], again["status"]) == (
        first["workspaceId"],
        first["arn"],
        first["status"],
    )
    assert len(amp.list_workspaces(alias="idem")["workspaces"]) == 1
    other = amp.create_workspace(alias="idem", clientToken="token-2")
    assert other["workspaceId"] != first["workspaceId"]
    assert len(amp.list_workspaces(alias="idem")["workspaces"]) == 2


def test_calls_are_classified_and_internal_calls_hidden(aws: AwsEmulator) -> None:
    http(aws, "POST", "/_sandbox/calls/clear")
    aws.client("iam").list_roles()
    iam, amp, s3, eks, sts = (client(aws, s) for s in ("iam", "amp", "s3", "eks", "sts"))
    iam.list_roles()
    iam.create_policy(PolicyName="calls-check", PolicyDocument=POLICY)
    sts.get_caller_identity()
    amp.list_workspaces()
    amp.create_workspace(alias="calls-check")
    s3.create_bucket(Bucket="calls-check-bucket", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.head_bucket(Bucket="calls-check-bucket")
    s3.put_bucket_versioning(Bucket="calls-check-bucket", VersioningConfiguration={"Status": "Enabled"})
    eks.describe_cluster(name="alpha")

    seen = [(c["service"], c["action"], c["mutating"], c["status"]) for c in aws.calls()]
    assert seen == [
        ("iam", "ListRoles", False, 200),
        ("iam", "CreatePolicy", True, 200),
        ("sts", "GetCallerIdentity", False, 200),
        ("aps", "ListWorkspaces", False, 200),
        ("aps", "CreateWorkspace", True, 200),
        ("s3", "CreateBucket", True, 200),
        ("s3", "HeadBucket", False, 200),
        ("s3", "PutBucketVersioning", True, 200),
        ("eks", "DescribeCluster", False, 200),
    ]
    assert aws.calls()[-1]["method"] == "GET" and aws.calls()[-1]["path"] == "/clusters/alpha"
    assert http(aws, "GET", "/_sandbox/calls") == aws.calls()
    http(aws, "POST", "/_sandbox/calls/clear")
    assert aws.calls() == []


def test_reset_drops_state_and_seeds_again(aws: AwsEmulator) -> None:
    amp, iam = client(aws, "amp"), client(aws, "iam")
    amp.create_workspace(alias="before-reset", clientToken="reset-token")
    iam.create_role(RoleName="before-reset", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
    assert http(aws, "POST", "/_sandbox/reset") == {"reset": True}
    assert amp.list_workspaces()["workspaces"] == []
    with pytest.raises(ClientError) as err:
        iam.get_role(RoleName="before-reset")
    assert err.value.response["Error"]["Code"] == "NoSuchEntity"
    assert sorted(client(aws, "eks").list_clusters()["clusters"]) == sorted(CLUSTERS)
    assert len(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]) == len(CLUSTERS)
    # The client token was forgotten too: the same token creates a new workspace.
    assert amp.create_workspace(alias="after-reset", clientToken="reset-token")["workspaceId"]
    assert len(amp.list_workspaces(alias="after-reset")["workspaces"]) == 1
    assert [c["action"] for c in aws.calls()][-2:] == ["CreateWorkspace", "ListWorkspaces"]


@pytest.mark.parametrize(
    ("service", "call", "status", "code"),
    [
        ("iam", lambda c: c.list_roles(), 400, "Throttling"),
        ("sts", lambda c: c.get_caller_identity(), 400, "Throttling"),
        ("amp", lambda c: c.list_workspaces(), 429, "ThrottlingException"),
        ("eks", lambda c: c.list_clusters(), 429, "ThrottlingException"),
        ("s3", lambda c: c.list_buckets(), 503, "SlowDown"),
    ],
)
def test_throttling_is_shaped_like_the_service(
    faulty: AwsEmulator, service: str, call: Any, status: int, code: str
) -> None:
    faulty.set_faults(Faults(throttle_rate=1.0))
    try:
        with pytest.raises(ClientError) as err:
            call(client(faulty, service, attempts=1))
    finally:
        faulty.set_faults(Faults())
    response = err.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert response["Error"]["Code"] == code
    if status == 429:
        assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ThrottlingException"
    if service in ("iam", "sts"):
        assert response["Error"]["Type"] == "Sender"
    # Internal clients are never faulted.
    call(faulty.client(service))


def test_standard_retries_recover_from_throttling_and_errors(faulty: AwsEmulator) -> None:
    faulty.set_faults(Faults(throttle_rate=0.25, error_rate=0.25, seed=3))
    try:
        faulty.clear_calls()
        iam = client(faulty, "iam", attempts=10)
        amp = client(faulty, "amp", attempts=10)
        s3 = client(faulty, "s3", attempts=10)
        retried = 0
        for i in range(3):
            answer = iam.create_policy(PolicyName=f"retry-{i}", PolicyDocument=POLICY)
            retried += answer["ResponseMetadata"]["RetryAttempts"]
            retried += amp.list_workspaces()["ResponseMetadata"]["RetryAttempts"]
            retried += s3.list_buckets()["ResponseMetadata"]["RetryAttempts"]
    finally:
        faulty.set_faults(Faults())
    faults = [c["fault"] for c in faulty.calls()]
    assert "throttle" in faults and "error" in faults
    assert retried == faults.count("throttle") + faults.count("error")
    names = [p["PolicyName"] for p in faulty.client("iam").list_policies(Scope="Local")["Policies"]]
    assert sorted(n for n in names if n.startswith("retry-")) == [f"retry-{i}" for i in range(3)]


def test_fault_sequence_follows_the_seed(faulty: AwsEmulator) -> None:
    runs = []
    for _ in range(2):
        faulty.set_faults(Faults(throttle_rate=0.5, seed=5))
        faulty.clear_calls()
        sts = client(faulty, "sts", attempts=1)
        for _ in range(12):
            with contextlib.suppress(ClientError):
                sts.get_caller_identity()
        runs.append([c["fault"] for c in faulty.calls()])
    faulty.set_faults(Faults())
    assert runs[0] == runs[1]
    assert set(runs[0]) == {"throttle", None}


def test_lost_answer_made_the_change(faulty: AwsEmulator) -> None:
    faulty.set_faults(Faults(lost_rate=1.0))
    try:
        with pytest.raises(ClientError) as err:
            client(faulty, "iam", attempts=1).create_role(
                RoleName="lost-role", AssumeRolePolicyDocument=json.dumps({"Statement": []})
            )
    finally:
        faulty.set_faults(Faults())
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert err.value.response["Error"]["Code"] == "InternalFailure"
    assert faulty.client("iam").get_role(RoleName="lost-role")["Role"]["RoleName"] == "lost-role"


def test_lost_create_workspace_is_retried_into_one_workspace(faulty: AwsEmulator) -> None:
    faulty.set_faults(Faults(lost_rate=0.5, seed=1))
    try:
        faulty.clear_calls()
        answer = client(faulty, "amp", attempts=10).create_workspace(alias="lost-ws")
    finally:
        faulty.set_faults(Faults())
    creates = [c for c in faulty.calls() if c["action"] == "CreateWorkspace"]
    assert len(creates) >= 2 and creates[0]["fault"] == "lost"
    workspaces = faulty.client("amp").list_workspaces(alias="lost-ws")["workspaces"]
    assert [w["workspaceId"] for w in workspaces] == [answer["workspaceId"]]


def test_latency_is_added_to_outside_calls_only(faulty: AwsEmulator) -> None:
    faulty.set_faults(Faults(latency_ms=300))
    try:
        sts = client(faulty, "sts")
        sts.get_caller_identity()
        started = time.monotonic()
        sts.get_caller_identity()
        outside = time.monotonic() - started
        faulty.client("sts").get_caller_identity()
        started = time.monotonic()
        faulty.client("sts").get_caller_identity()
        internal = time.monotonic() - started
    finally:
        faulty.set_faults(Faults())
    assert outside >= 0.3
    assert internal < 0.3
