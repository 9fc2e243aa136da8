"""The sandbox's second account: cross-account AssumeRole judged as AWS does, and requests landing in the account
of their credentials (moto itself lets anyone assume anything, and puts every request in one account)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from ampctl.sandbox.aws.emulator import AwsEmulator
from ampctl.sandbox.config import OPERATOR_ACCESS_KEY, OPERATOR_SECRET_KEY, SandboxConfig, workspace_admin_role_arn

B = "100000000011"
A = "100000000012"
REGION = "us-east-2"


def _client(aws: AwsEmulator, service: str, creds: dict[str, str] | None = None) -> Any:
    keys = (
        {"aws_access_key_id": OPERATOR_ACCESS_KEY, "aws_secret_access_key": OPERATOR_SECRET_KEY}
        if creds is None
        else {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
    )
    return boto3.session.Session(region_name=REGION, **keys).client(service, endpoint_url=aws.endpoint)


def _trust(principal: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsEmulator]:
    config = SandboxConfig(
        state_dir=tmp_path_factory.mktemp("xacct"), account=B, region=REGION, clusters=(), workspace_account=A
    )
    emulator = AwsEmulator(config)
    emulator.start()
    yield emulator
    emulator.stop()


def _admin(aws: AwsEmulator) -> dict[str, str]:
    sts = _client(aws, "sts")
    return dict(sts.assume_role(RoleArn=workspace_admin_role_arn(A), RoleSessionName="ampctl")["Credentials"])


def test_the_operator_assumes_the_admin_role_and_acts_in_the_other_account(aws: AwsEmulator) -> None:
    admin = _admin(aws)
    identity = _client(aws, "sts", admin).get_caller_identity()
    assert identity["Account"] == A
    _client(aws, "iam", admin).create_role(RoleName="made-in-a", AssumeRolePolicyDocument=_trust(B))
    names_a = {r["RoleName"] for r in aws.client("iam", account=A).list_roles()["Roles"]}
    names_b = {r["RoleName"] for r in aws.client("iam").list_roles()["Roles"]}
    assert "made-in-a" in names_a
    assert "made-in-a" not in names_b


def test_a_chain_needs_the_callers_policy_and_the_trust(aws: AwsEmulator) -> None:
    iam_b, iam_a = aws.client("iam"), aws.client("iam", account=A)
    target = f"arn:aws:iam::{A}:role/target"
    caller = f"arn:aws:iam::{B}:role/caller"
    # (IAM refuses a trust naming a role that does not exist yet: the caller first)
    iam_b.create_role(RoleName="caller", AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{B}:root"))
    iam_a.create_role(RoleName="target", AssumeRolePolicyDocument=_trust(caller))
    as_caller = _client(
        aws, "sts", dict(_client(aws, "sts").assume_role(RoleArn=caller, RoleSessionName="op")["Credentials"])
    )

    # The trust names the caller, but across accounts the caller's own policy must allow the hop too.
    with pytest.raises(ClientError) as denied:
        as_caller.assume_role(RoleArn=target, RoleSessionName="hop")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert f"assumed-role/caller/op is not authorized to perform: sts:AssumeRole on resource: {target}" in str(
        denied.value
    )
    allow = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": target}
    iam_b.put_role_policy(
        RoleName="caller", PolicyName="hop", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]})
    )
    got = as_caller.assume_role(RoleArn=target, RoleSessionName="hop")["Credentials"]
    assert _client(aws, "sts", dict(got)).get_caller_identity()["Arn"] == f"arn:aws:sts::{A}:assumed-role/target/hop"

    # A trust that names another role refuses the hop, whatever the caller's policy says.
    iam_b.create_role(RoleName="other", AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{B}:root"))
    iam_a.update_assume_role_policy(RoleName="target", PolicyDocument=_trust(f"arn:aws:iam::{B}:role/other"))
    with pytest.raises(ClientError, match="AccessDenied"):
        as_caller.assume_role(RoleArn=target, RoleSessionName="hop")


def test_the_operator_cannot_assume_a_role_that_trusts_one_role_only(aws: AwsEmulator) -> None:
    aws.client("iam").create_role(RoleName="someone", AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{B}:root"))
    aws.client("iam", account=A).create_role(
        RoleName="narrow", AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{B}:role/someone")
    )
    with pytest.raises(ClientError, match="AccessDenied"):
        _client(aws, "sts").assume_role(RoleArn=f"arn:aws:iam::{A}:role/narrow", RoleSessionName="xx")
    with pytest.raises(ClientError, match="AccessDenied"):
        _client(aws, "sts").assume_role(RoleArn=f"arn:aws:iam::{A}:role/missing", RoleSessionName="xx")
