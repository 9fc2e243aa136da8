"""SSE-KMS in the sandbox, as AWS judges it: an object write under a bucket's customer managed key needs the
caller's kms:GenerateDataKey, a read kms:Decrypt, by the caller's IAM policies when the key policy defers to IAM (the
default key policy) and by the key policy alone otherwise; S3 answers AccessDenied with KMS's reason."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from ampctl.documents import s3_access_policy
from tests.conftest import Sandbox

BUCKET = "kms-judged"


def restrictive(account: str, *principals: str) -> str:
    """A key policy without the account principal's statement: only `principals` may use the key."""
    statements = [
        {
            "Sid": "KeyAdministrators",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:role/key-admin"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if principals:
        statements.append(
            {
                "Sid": "KeyUsers",
                "Effect": "Allow",
                "Principal": {"AWS": list(principals)},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@pytest.fixture
def world(sandbox: Sandbox) -> Iterator[dict]:
    """A bucket whose default encryption is SSE-KMS under a key with the default key policy, and an IAM user."""
    sandbox.reset()
    kms, s3, iam = sandbox.client("kms"), sandbox.client("s3"), sandbox.client("iam")
    key = kms.create_key(Description="ETL")["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": sandbox.state.region})
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [rule]})
    iam.create_user(UserName="writer")
    created = iam.create_access_key(UserName="writer")["AccessKey"]
    client = boto3.client(
        "s3", endpoint_url=sandbox.state.aws_endpoint, region_name=sandbox.state.region,
        aws_access_key_id=created["AccessKeyId"], aws_secret_access_key=created["SecretAccessKey"],
    )  # fmt: skip
    yield {"key": key, "s3": client, "iam": iam, "kms": kms}
    sandbox.reset()


def grant(world: dict, kms_key: str | None) -> None:
    document = s3_access_policy(BUCKET, kms_key=kms_key)
    world["iam"].put_user_policy(UserName="writer", PolicyName="etl", PolicyDocument=json.dumps(document))


def error(call) -> str:  # noqa: ANN001 - a boto3 call
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    return str(caught.value.response["Error"]["Message"])


def test_the_s3_policy_without_the_key_is_refused_by_kms(sandbox: Sandbox, world: dict) -> None:
    grant(world, None)  # the policy ampctl wrote before: S3 actions only
    s3 = world["s3"]
    message = error(lambda: s3.put_object(Bucket=BUCKET, Key="federated/x", Body=b"{}"))
    account = sandbox.state.account
    assert message == (
        f"User: arn:aws:iam::{account}:user/writer is not authorized to perform: kms:GenerateDataKey on resource: "
        f"{world['key']} because no identity-based policy allows the kms:GenerateDataKey action"
    )
    grant(world, world["key"])
    s3.put_object(Bucket=BUCKET, Key="federated/x", Body=b"{}")
    got = s3.get_object(Bucket=BUCKET, Key="federated/x")
    assert got["ServerSideEncryption"] == "aws:kms" and got["SSEKMSKeyId"] == world["key"]
    grant(world, None)
    assert "kms:Decrypt on resource" in error(lambda: s3.get_object(Bucket=BUCKET, Key="federated/x"))
    # A request for SSE-S3 involves no KMS key.
    s3.put_object(Bucket=BUCKET, Key="plain", Body=b"{}", ServerSideEncryption="AES256")


def test_a_key_policy_without_the_iam_delegation_makes_iam_policies_insufficient(sandbox: Sandbox, world: dict) -> None:
    grant(world, world["key"])
    s3 = world["s3"]
    s3.put_object(Bucket=BUCKET, Key="federated/x", Body=b"{}")
    account = sandbox.state.account
    world["kms"].put_key_policy(KeyId=world["key"], PolicyName="default", Policy=restrictive(account))
    message = error(lambda: s3.put_object(Bucket=BUCKET, Key="federated/y", Body=b"{}"))
    assert message.startswith(f"User: arn:aws:iam::{account}:user/writer is not authorized to perform: kms:Gene")
    assert "no resource-based policies allow access" in message
    read = error(lambda: s3.get_object(Bucket=BUCKET, Key="federated/x"))
    assert "ciphertext refers to a customer master key" in read
    # The operator (an administrator of the account) is refused too: the key policy does not defer to IAM.
    operator = sandbox.client("s3")
    assert "no resource-based policies" in error(lambda: operator.put_object(Bucket=BUCKET, Key="o", Body=b""))
    # A key policy that names the caller is enough on its own, within the key's account.
    writer = f"arn:aws:iam::{account}:user/writer"
    world["kms"].put_key_policy(KeyId=world["key"], PolicyName="default", Policy=restrictive(account, writer))
    grant(world, None)
    s3.put_object(Bucket=BUCKET, Key="federated/y", Body=b"{}")
    assert s3.get_object(Bucket=BUCKET, Key="federated/y")["Body"].read() == b"{}"
