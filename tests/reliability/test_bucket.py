"""teardown --delete-bucket --force: every version, delete marker and unfinished upload goes, late writers drain."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.conftest import Sandbox
from tests.reliability.world import aws_calls, inventory


def test_forced_bucket_deletion_removes_everything_while_a_writer_drains(clean: Sandbox, fleet: Path) -> None:
    s3 = clean.client("s3")
    bucket = f"kubecost-etl-{clean.state.account}-{clean.state.region}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": clean.state.region})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "managed-by", "Value": "ampctl"}]})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for n in range(3):
        s3.put_object(Bucket=bucket, Key="federated/a/etl", Body=f"v{n}".encode())
    s3.delete_object(Bucket=bucket, Key="federated/a/etl")  # a delete marker on top of three versions
    s3.create_multipart_upload(Bucket=bucket, Key="federated/b/partial")
    versions = s3.list_object_versions(Bucket=bucket)
    assert len(versions["Versions"]) == 3 and len(versions["DeleteMarkers"]) == 1

    # A late writer: an agent's last uploads keep landing after the teardown started emptying the bucket.
    stop, written, after = threading.Event(), [], []

    def write() -> None:
        writer = clean.client("s3")
        while not stop.is_set() and len(after) < 10:
            writer.put_object(Bucket=bucket, Key=f"federated/late/{len(written)}", Body=b"x")
            written.append(1)
            if after or any(c["action"] == "DeleteObjects" for c in aws_calls(clean)):
                after.append(1)

    clean.clear_aws_calls()
    thread = threading.Thread(target=write)
    thread.start()
    try:
        proc = clean.ampctl("teardown", "-F", str(fleet), "--delete-bucket", "--force", "--yes", cwd=fleet.parent)
    finally:
        stop.set()
        thread.join()
    assert proc.returncode == 0, proc.stderr
    assert len(after) == 10
    assert inventory(clean)["buckets"] == []
