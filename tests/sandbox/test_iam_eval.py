"""IAM policy evaluation and IRSA judged against moto's IAM state."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from ampctl.sandbox.aws.emulator import AwsEmulator
from ampctl.sandbox.aws.iam_eval import (
    WebIdentityError,
    assume_role_with_web_identity,
    is_allowed,
    role_policies,
)
from ampctl.sandbox.config import SandboxConfig

ACCOUNT = "100000000011"
REGION = "us-east-2"
WS_ARN = f"arn:aws:aps:{REGION}:{ACCOUNT}:workspace/ws-1111"
QUERY_ACCESS = "arn:aws:iam::aws:policy/AmazonPrometheusQueryAccess"
REMOTE_WRITE_ACCESS = "arn:aws:iam::aws:policy/AmazonPrometheusRemoteWriteAccess"
NAMESPACE, SERVICE_ACCOUNT = "kubecost", "kubecost-cost-analyzer-amp"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


# pure evaluation


def test_allow_and_implicit_deny() -> None:
    policies = [doc(allow("aps:QueryMetrics", WS_ARN))]
    assert is_allowed(policies, "aps:QueryMetrics", WS_ARN)
    assert not is_allowed(policies, "aps:RemoteWrite", WS_ARN)
    assert not is_allowed(policies, "aps:QueryMetrics", WS_ARN.replace("ws-1111", "ws-2222"))
    assert not is_allowed([], "aps:QueryMetrics", WS_ARN)


def test_explicit_deny_wins_across_documents() -> None:
    policies = [doc(allow("aps:*")), doc(deny("aps:RemoteWrite", WS_ARN))]
    assert is_allowed(policies, "aps:QueryMetrics", WS_ARN)
    assert not is_allowed(policies, "aps:RemoteWrite", WS_ARN)
    assert is_allowed(policies, "aps:RemoteWrite", WS_ARN.replace("ws-1111", "ws-2222"))


def test_action_wildcards_are_case_insensitive() -> None:
    assert is_allowed([doc(allow("aps:Query*"))], "aps:QueryMetrics", WS_ARN)
    assert is_allowed([doc(allow("APS:querymetrics"))], "aps:QueryMetrics", WS_ARN)
    assert is_allowed([doc(allow("aps:Get?eries"))], "aps:GetSeries", WS_ARN)
    assert is_allowed([doc(allow("*"))], "s3:PutObject", "arn:aws:s3:::b/k")
    assert not is_allowed([doc(allow("aps:Query*"))], "aps:RemoteWrite", WS_ARN)
    assert not is_allowed([doc(allow("aps:Get?eries"))], "aps:GetXXSeries", WS_ARN)


def test_resource_wildcards_are_case_sensitive() -> None:
    policies = [doc(allow("aps:*", f"arn:aws:aps:{REGION}:{ACCOUNT}:workspace/*"))]
    assert is_allowed(policies, "aps:QueryMetrics", WS_ARN)
    assert not is_allowed(policies, "aps:QueryMetrics", WS_ARN.replace(REGION, "us-west-2"))
    assert not is_allowed(policies, "aps:QueryMetrics", WS_ARN.upper())
    bucket = [doc(allow(["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::kc-bucket/*"]))]
    assert is_allowed(bucket, "s3:PutObject", "arn:aws:s3:::kc-bucket/federated/x")
    assert not is_allowed(bucket, "s3:PutObject", "arn:aws:s3:::kc-bucket")


def test_not_action_and_not_resource() -> None:
    assert is_allowed([doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})], "aps:RemoteWrite", WS_ARN)
    assert not is_allowed([doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})], "iam:PassRole", "*")
    not_resource = doc({"Effect": "Allow", "Action": "aps:*", "NotResource": WS_ARN})
    assert not is_allowed([not_resource], "aps:QueryMetrics", WS_ARN)
    assert is_allowed([not_resource], "aps:QueryMetrics", WS_ARN + "x")


def test_single_statement_object_is_accepted() -> None:
    assert is_allowed([{"Version": "2012-10-17", "Statement": allow("aps:RemoteWrite")}], "aps:RemoteWrite", WS_ARN)


def test_conditions_that_cannot_be_judged_skip_the_statement() -> None:
    source_ip = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    assert not is_allowed([doc(allow("aps:*", Condition=source_ip))], "aps:QueryMetrics", WS_ARN)
    assert is_allowed([doc(allow("aps:*"), deny("aps:*", Condition=source_ip))], "aps:QueryMetrics", WS_ARN)


def test_string_conditions_use_the_context() -> None:
    tagged = [doc(allow("aps:*", Condition={"StringEquals": {"aws:PrincipalTag/team": "cost"}}))]
    assert is_allowed(tagged, "aps:QueryMetrics", WS_ARN, {"aws:principaltag/team": "cost"})
    assert not is_allowed(tagged, "aps:QueryMetrics", WS_ARN, {"aws:PrincipalTag/team": "other"})
    assert not is_allowed(tagged, "aps:QueryMetrics", WS_ARN)
    negated = [doc(allow("aps:*", Condition={"StringNotEquals": {"aws:PrincipalTag/team": "cost"}}))]
    assert is_allowed(negated, "aps:QueryMetrics", WS_ARN)
    like = [doc(allow("aps:*", Condition={"StringLike": {"k": ["a*", "b?"]}}))]
    assert is_allowed(like, "aps:QueryMetrics", WS_ARN, {"k": "bx"})
    assert not is_allowed(like, "aps:QueryMetrics", WS_ARN, {"k": "bxx"})


# against moto


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsEmulator]:
    config = SandboxConfig(
        state_dir=tmp_path_factory.mktemp("iam"), account=ACCOUNT, region=REGION, clusters=("one", "two")
    )
    emulator = AwsEmulator(config)
    emulator.start()
    yield emulator
    emulator.stop()


def make_role(aws: AwsEmulator, name: str, trust: dict[str, Any], *policy_arns: str) -> str:
    iam = aws.client("iam")
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])
    for policy in policy_arns:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    return arn


def irsa_trust(
    provider_arn: str, key_prefix: str, sub: str, aud: str = "sts.amazonaws.com", op: str = "StringEquals"
) -> dict[str, Any]:
    return doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {op: {f"{key_prefix}:sub": sub, f"{key_prefix}:aud": aud}},
        }
    )


def good_trust(aws: AwsEmulator, cluster: str = "one") -> dict[str, Any]:
    issuer = aws.cluster_issuer(cluster)
    return irsa_trust(
        aws.oidc_provider_arn(issuer),
        issuer.removeprefix("https://"),
        f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}",
    )


def test_managed_prometheus_policies_grant_what_they_should(aws: AwsEmulator) -> None:
    arn = make_role(aws, "managed-check", good_trust(aws), QUERY_ACCESS)
    query = role_policies(aws, arn)
    for action in ("aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"):
        assert is_allowed(query, action, WS_ARN), action
    assert not is_allowed(query, "aps:RemoteWrite", WS_ARN)
    assert not is_allowed(query, "aps:DeleteWorkspace", WS_ARN)

    aws.client("iam").attach_role_policy(RoleName="managed-check", PolicyArn=REMOTE_WRITE_ACCESS)
    both = role_policies(aws, arn)
    assert is_allowed(both, "aps:RemoteWrite", WS_ARN)
    aws.client("iam").detach_role_policy(RoleName="managed-check", PolicyArn=QUERY_ACCESS)
    write_only = role_policies(aws, arn)
    assert is_allowed(write_only, "aps:RemoteWrite", WS_ARN)
    assert not is_allowed(write_only, "aps:QueryMetrics", WS_ARN)


def test_role_policies_read_default_versions_and_inline_policies(aws: AwsEmulator) -> None:
    iam = aws.client("iam")
    arn = make_role(aws, "versions-check", good_trust(aws))
    policy_arn = iam.create_policy(PolicyName="versions-check", PolicyDocument=json.dumps(doc(allow("s3:GetObject"))))[
        "Policy"
    ]["Arn"]
    iam.create_policy_version(
        PolicyArn=policy_arn, PolicyDocument=json.dumps(doc(allow("s3:PutObject"))), SetAsDefault=True
    )
    iam.attach_role_policy(RoleName="versions-check", PolicyArn=policy_arn)
    iam.put_role_policy(
        RoleName="versions-check", PolicyName="inline", PolicyDocument=json.dumps(doc(allow("aps:RemoteWrite")))
    )
    policies = role_policies(aws, arn)
    assert is_allowed(policies, "s3:PutObject", "arn:aws:s3:::b/k")
    assert not is_allowed(policies, "s3:GetObject", "arn:aws:s3:::b/k")
    assert is_allowed(policies, "aps:RemoteWrite", WS_ARN)


def test_good_trust_gives_working_temporary_credentials(aws: AwsEmulator) -> None:
    arn = make_role(aws, "irsa-good", good_trust(aws))
    creds = assume_role_with_web_identity(aws, arn, aws.cluster_issuer("one"), NAMESPACE, SERVICE_ACCOUNT)
    assert creds.access_key.startswith("ASIA")
    assert creds.secret_key not in repr(creds)
    sts = boto3.session.Session(
        aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret_key,
        aws_session_token=creds.session_token,
        region_name=REGION,
    ).client("sts", endpoint_url=aws.endpoint)
    identity = sts.get_caller_identity()
    assert identity["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/irsa-good/")


def test_string_like_trust_on_a_namespace_passes(aws: AwsEmulator) -> None:
    issuer = aws.cluster_issuer("one")
    trust = irsa_trust(
        aws.oidc_provider_arn(issuer),
        issuer.removeprefix("https://"),
        f"system:serviceaccount:{NAMESPACE}:*",
        op="StringLike",
    )
    arn = make_role(aws, "irsa-like", trust)
    assert assume_role_with_web_identity(aws, arn, issuer, NAMESPACE, "anything").access_key


def expect(code: str, aws: AwsEmulator, role_arn: str, issuer: str, ns: str, sa: str) -> WebIdentityError:
    with pytest.raises(WebIdentityError) as err:
        assume_role_with_web_identity(aws, role_arn, issuer, ns, sa)
    assert err.value.code == code
    return err.value


def test_missing_oidc_provider(aws: AwsEmulator) -> None:
    arn = make_role(aws, "irsa-no-provider", good_trust(aws, "two"))
    issuer = aws.cluster_issuer("two")
    assert assume_role_with_web_identity(aws, arn, issuer, NAMESPACE, SERVICE_ACCOUNT)
    aws.client("iam").delete_open_id_connect_provider(OpenIDConnectProviderArn=aws.oidc_provider_arn(issuer))
    try:
        err = expect("InvalidIdentityToken", aws, arn, issuer, NAMESPACE, SERVICE_ACCOUNT)
        assert err.message == f"No OpenIDConnect provider found in your account for {issuer}"
    finally:
        aws.client("iam").create_open_id_connect_provider(
            Url=issuer, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
        )


def test_provider_without_sts_audience(aws: AwsEmulator) -> None:
    iam = aws.client("iam")
    issuer = f"https://oidc.eks.{REGION}.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
    iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["other"], ThumbprintList=["b" * 40])
    trust = irsa_trust(
        aws.oidc_provider_arn(issuer), issuer.removeprefix("https://"), f"system:serviceaccount:{NAMESPACE}:x"
    )
    arn = make_role(aws, "irsa-audience", trust)
    err = expect("InvalidIdentityToken", aws, arn, issuer, NAMESPACE, "x")
    assert err.message == "Incorrect token audience"


def test_wrong_service_account_namespace_and_role_are_denied(aws: AwsEmulator) -> None:
    arn = make_role(aws, "irsa-strict", good_trust(aws))
    issuer = aws.cluster_issuer("one")
    err = expect("AccessDenied", aws, arn, issuer, NAMESPACE, "kubecost-prometheus-server-amp")
    assert err.message == "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    expect("AccessDenied", aws, arn, issuer, "default", SERVICE_ACCOUNT)
    expect("AccessDenied", aws, arn, aws.cluster_issuer("two"), NAMESPACE, SERVICE_ACCOUNT)
    expect("AccessDenied", aws, arn.replace("irsa-strict", "irsa-missing"), issuer, NAMESPACE, SERVICE_ACCOUNT)


def test_https_condition_keys_do_not_match(aws: AwsEmulator) -> None:
    issuer = aws.cluster_issuer("one")
    trust = irsa_trust(aws.oidc_provider_arn(issuer), issuer, f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}")
    arn = make_role(aws, "irsa-https", trust)
    expect("AccessDenied", aws, arn, issuer, NAMESPACE, SERVICE_ACCOUNT)


def test_swapped_aud_and_sub_are_denied(aws: AwsEmulator) -> None:
    issuer = aws.cluster_issuer("one")
    trust = irsa_trust(
        aws.oidc_provider_arn(issuer),
        issuer.removeprefix("https://"),
        sub="sts.amazonaws.com",
        aud=f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}",
    )
    arn = make_role(aws, "irsa-swapped", trust)
    expect("AccessDenied", aws, arn, issuer, NAMESPACE, SERVICE_ACCOUNT)


def test_trust_naming_another_principal_is_denied(aws: AwsEmulator) -> None:
    issuer = aws.cluster_issuer("one")
    trust = irsa_trust(
        aws.oidc_provider_arn(aws.cluster_issuer("two")),
        issuer.removeprefix("https://"),
        f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}",
    )
    arn = make_role(aws, "irsa-other-provider", trust)
    expect("AccessDenied", aws, arn, issuer, NAMESPACE, SERVICE_ACCOUNT)
