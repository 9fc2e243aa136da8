"""The newest object under a prefix is found past S3's first page of 1,000 keys (ListObjectsV2 lists in key order), and
a chart version ampctl does not list still has a line."""

from __future__ import annotations

import time

from ampctl.aws.s3 import newest
from ampctl.versions import line_or_none
from tests.conftest import Sandbox


def test_the_newest_object_past_the_first_page(sandbox: Sandbox) -> None:
    s3 = sandbox.client("s3")
    bucket = "newest-past-one-page"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": sandbox.state.region})
    try:
        for i in range(1001):
            s3.put_object(Bucket=bucket, Key=f"federated/east/{i:05d}", Body=b"")
        time.sleep(1.1)  # LastModified has whole seconds
        s3.put_object(Bucket=bucket, Key="federated/east/01000", Body=b"again")  # on the second page, the newest
        written = s3.head_object(Bucket=bucket, Key="federated/east/01000")["LastModified"]
        assert newest(s3, bucket, "federated/east/") == (written, 1001)
        assert newest(s3, bucket, "federated/west/") == (None, 0)
    finally:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": o["Key"]} for o in page.get("Contents") or []]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
        s3.delete_bucket(Bucket=bucket)


def test_an_unlisted_chart_version_takes_its_nearest_line() -> None:
    line = line_or_none("2.8.99")
    assert line is not None and line.family == "2.x" and line.on_amp
    assert line_or_none("3.9.0") is not None and not line_or_none("3.9.0").on_amp  # type: ignore[union-attr]
    assert line_or_none("") is None and line_or_none(None) is None and line_or_none("latest") is None
