"""The AWS emulator's support for unhappy-path testing: faults switched at run time, bucket tags given
with the create, bucket policies judged with their conditions."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from ampctl.documents import bucket_tls_policy
from ampctl.sandbox.aws.emulator import AwsEmulator
from ampctl.sandbox.config import SandboxConfig
from tests.sandbox.test_aws_emulator import REGION, client

ACCOUNT = "100000000003"


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsEmulator]:
    config = SandboxConfig(state_dir=tmp_path_factory.mktemp("unhappy"), account=ACCOUNT, region=REGION, clusters=())
    emulator = AwsEmulator(config)
    emulator.start()
    yield emulator
    emulator.stop()


def faults(aws: AwsEmulator, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{aws.endpoint}/_sandbox/faults", data=data, method="GET" if body is None else "POST")
    with urllib.request.urlopen(req, timeout=10) as answer:
        return dict(json.loads(answer.read()))


def test_faults_are_switched_at_run_time(aws: AwsEmulator) -> None:
    try:
        assert faults(aws, {"throttle_rate": 1.0})["throttle_rate"] == 1.0
        assert faults(aws)["throttle_rate"] == 1.0
        with pytest.raises(Exception, match="Throttling"):
            client(aws, "iam", attempts=1).list_roles()
        with pytest.raises(urllib.error.HTTPError) as bad:
            faults(aws, {"throttle": 1})
        assert bad.value.code == 400
    finally:
        faults(aws, {})
    assert faults(aws)["throttle_rate"] == 0.0
    client(aws, "iam", attempts=1).list_roles()


def test_bucket_tags_given_with_the_create_are_kept(aws: AwsEmulator) -> None:
    s3 = client(aws, "s3")
    config = {"LocationConstraint": REGION, "Tags": [{"Key": "managed-by", "Value": "ampctl"}]}
    s3.create_bucket(Bucket="tagged-at-create", CreateBucketConfiguration=config)
    assert s3.get_bucket_tagging(Bucket="tagged-at-create")["TagSet"] == [{"Key": "managed-by", "Value": "ampctl"}]


def test_a_tls_only_bucket_policy_lets_api_calls_through(aws: AwsEmulator) -> None:
    s3 = client(aws, "s3")
    s3.create_bucket(Bucket="tls-only", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps(bucket_tls_policy("tls-only")))
    s3.put_object(Bucket="tls-only", Key="k", Body=b"x")
    answer = s3.delete_objects(Bucket="tls-only", Delete={"Objects": [{"Key": "k"}]})
    assert answer.get("Errors", []) == []
    assert s3.list_objects_v2(Bucket="tls-only")["KeyCount"] == 0
