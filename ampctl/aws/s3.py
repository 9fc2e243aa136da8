"""S3 reads and the hardening ampctl applies to the federated ETL bucket."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ampctl.errors import AmpctlError


def bucket_state(s3: Any, bucket: str) -> str:
    """'missing', 'ours' (exists and this account owns it), or raises when someone else owns it."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
        return "ours"
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code in {"404", "NoSuchBucket", "NotFound"}:
            return "missing"
        if code in {"403", "AccessDenied"}:
            raise AmpctlError(
                f"S3 bucket {bucket} exists and belongs to another account (bucket names are global)",
                "choose another name with --bucket",
            ) from exc
        raise


def _get(s3: Any, method: str, bucket: str, missing: set[str]) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        return dict(getattr(s3, method)(Bucket=bucket))
    except ClientError as exc:
        if exc.response["Error"]["Code"] in missing:
            return None
        raise


def tags(s3: Any, bucket: str) -> dict[str, str]:
    got = _get(s3, "get_bucket_tagging", bucket, {"NoSuchTagSet", "NoSuchTagSetError"})
    # An empty value is a valid tag (botocore s3 model, Tag: Value required, no minimum length); the sandbox's moto
    # leaves an empty <Value/> out of GetBucketTagging, so a missing Value reads as "".
    return {t["Key"]: t.get("Value", "") for t in (got or {}).get("TagSet", [])}


# SSEAlgorithm values that mean SSE-KMS (botocore s3 model, ServerSideEncryption: AES256 | aws:kms | aws:kms:dsse).
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def bucket_kms_key(s3: Any, bucket: str) -> tuple[bool, str | None]:
    """(whether the bucket exists, the customer managed KMS key of its default encryption, else None).

    None also for SSE-KMS without KMSMasterKeyID: that is the AWS managed key aws/s3, whose key policy lets S3 use it
    for every principal of the account (S3 User Guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)")."""
    from botocore.exceptions import ClientError

    try:
        got = _get(s3, "get_bucket_encryption", bucket, {"ServerSideEncryptionConfigurationNotFoundError"})
    except ClientError as exc:
        if exc.response["Error"]["Code"] in {"404", "NoSuchBucket", "NotFound"}:
            return False, None
        raise
    rules = (got or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    default = (rules[0] if rules else {}).get("ApplyServerSideEncryptionByDefault") or {}
    if default.get("SSEAlgorithm") not in KMS_ALGORITHMS:
        return True, None
    return True, default.get("KMSMasterKeyID") or None


def encryption_rule(kms_key: str | None) -> dict[str, Any]:
    # S3 Bucket Keys cut S3's calls to KMS; the caller's KMS permissions stay the same, only the encryption context
    # becomes the bucket ARN (S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys": "Changes to
    # note before enabling an S3 Bucket Key"), and ampctl's policies set no encryption-context condition.
    if kms_key:
        return {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key},
            "BucketKeyEnabled": True,
        }
    return {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}


PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def hardening_drift(s3: Any, bucket: str, kms_key: str | None, policy: dict[str, Any]) -> list[str]:
    """What differs from the hardened configuration (empty when the bucket is as ampctl sets it)."""
    from ampctl.documents import documents_equal
    from ampctl.pool import together

    reads: list[tuple[str, set[str]]] = [
        ("get_public_access_block", {"NoSuchPublicAccessBlockConfiguration"}),
        ("get_bucket_encryption", {"ServerSideEncryptionConfigurationNotFoundError"}),
        ("get_bucket_ownership_controls", {"OwnershipControlsNotFoundError"}),
        ("get_bucket_policy", {"NoSuchBucketPolicy"}),
    ]
    pab, enc, own, current = together([partial(_get, s3, method, bucket, missing) for method, missing in reads])
    drift = []
    if (pab or {}).get("PublicAccessBlockConfiguration") != PUBLIC_ACCESS_BLOCK:
        drift.append("public access block")
    rules = (enc or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    want = encryption_rule(kms_key)
    have = rules[0] if rules else {}
    keyed = bool(have.get("BucketKeyEnabled")) == want.get("BucketKeyEnabled", False) or not kms_key
    if have.get("ApplyServerSideEncryptionByDefault") != want["ApplyServerSideEncryptionByDefault"] or not keyed:
        drift.append("default encryption")
    rules = (own or {}).get("OwnershipControls", {}).get("Rules", [])
    if [r.get("ObjectOwnership") for r in rules] != ["BucketOwnerEnforced"]:
        drift.append("object ownership")
    if current is None or not documents_equal(current["Policy"], policy):
        drift.append("TLS-only bucket policy")
    return drift


def harden(s3: Any, bucket: str, kms_key: str | None, policy: dict[str, Any], parts: list[str]) -> None:
    """Put the settings named in `parts`, all at once (each is independent of the others)."""
    import json

    from ampctl.pool import together

    puts: dict[str, Callable[[], object]] = {
        "public access block": partial(
            s3.put_public_access_block, Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK
        ),
        "default encryption": partial(
            s3.put_bucket_encryption,
            Bucket=bucket,
            ServerSideEncryptionConfiguration={"Rules": [encryption_rule(kms_key)]},
        ),
        "object ownership": partial(
            s3.put_bucket_ownership_controls,
            Bucket=bucket,
            OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        ),
        "TLS-only bucket policy": partial(s3.put_bucket_policy, Bucket=bucket, Policy=json.dumps(policy)),
    }
    together([put for name, put in puts.items() if name in parts])


def empty(s3: Any, bucket: str) -> int:
    """Remove every object version, delete marker and unfinished multipart upload; how many were removed."""
    from ampctl.aws.errors import done_if_gone

    removed = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for start in range(0, len(doomed), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed[start : start + 1000], "Quiet": True})
        removed += len(doomed)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        doomed = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if doomed:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
        removed += len(doomed)
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", []):
            done_if_gone(s3.abort_multipart_upload, Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
            removed += 1
    return removed


def arriving(s3: Any, bucket: str, limit: int = 3) -> list[str]:
    """A few keys the bucket holds right now (what late writers are still putting there)."""
    page = s3.list_object_versions(Bucket=bucket, MaxKeys=limit)
    keys = [v["Key"] for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
    keys += [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket, MaxUploads=limit).get("Uploads", [])]
    return sorted(set(keys))[:limit]


def delete_bucket(
    s3: Any, bucket: str, *, force: bool, sleep: Callable[[float], None], drain_seconds: float = 60.0
) -> None:
    """Delete the bucket; with force, empty it first and try again while late writers drain, up to a bound."""
    from botocore.exceptions import ClientError

    from ampctl.aws.errors import done_if_gone, error_code

    waited, delay = 0.0, 1.0
    while True:
        if force:
            empty(s3, bucket)
        try:
            done_if_gone(s3.delete_bucket, Bucket=bucket)
            return
        except ClientError as exc:
            if error_code(exc) != "BucketNotEmpty":
                raise
        if not force:
            raise AmpctlError(f"S3 bucket {bucket} is not empty", "pass --force to delete its objects too")
        if waited >= drain_seconds:
            keys = ", ".join(arriving(s3, bucket)) or "objects"
            raise AmpctlError(
                f"S3 bucket {bucket} still receives objects after {waited:.0f}s (e.g. {keys})",
                "stop whatever writes there (a Kubecost still running elsewhere?) and re-run the teardown",
            )
        sleep(delay)
        waited += delay
        delay = min(delay * 2, 8.0)


def newest(s3: Any, bucket: str, prefix: str, pages: int = 20) -> tuple[Any, int]:
    """(the newest LastModified under `prefix`, how many objects were looked at): up to `pages` pages, since
    ListObjectsV2 returns 1,000 keys a page in key order, not by time (S3 API Reference, ListObjectsV2)."""
    stamps: list[Any] = []
    more: dict[str, str] = {}
    for _ in range(pages):
        page = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, **more)
        stamps += [o["LastModified"] for o in page.get("Contents") or []]
        if not page.get("IsTruncated"):
            break
        more = {"ContinuationToken": page["NextContinuationToken"]}
    return max(stamps, default=None), len(stamps)
