"""How Kubecost's pods use the bucket: the object-store file they read, and S3's decision on their
requests (the role's policies and the bucket policy, judged by IAM as S3 would, and KMS's under SSE-KMS)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml

from ampctl.sandbox.aws.iam_eval import role_policies
from ampctl.sandbox.aws.iam_policy import evaluate
from ampctl.sandbox.aws.kms_policy import object_denial
from ampctl.sandbox.kubecost import objects as ko

if TYPE_CHECKING:
    from ampctl.sandbox.aws.emulator import AwsEmulator


class EtlError(Exception):
    pass


def read_store_config(store: ko.Store, workload: ko.Obj, reader: ko.Obj, path: str) -> dict[str, Any]:
    """The `config` of the object-store file `reader` sees at `path`; EtlError as the pod would report it."""
    found = ko.mounted_secret_file(ko.pod_spec(workload), reader, path)
    text = ko.secret_value(store, ko.namespace_of(workload), found[0], found[1]) if found else None
    if text is None:
        raise EtlError(f"open {path}: no such file or directory")
    try:
        config = (yaml.safe_load(text) or {}).get("config") or {}
        str(config["bucket"])
    except (yaml.YAMLError, AttributeError, KeyError, TypeError) as exc:
        raise EtlError(f"{path}: invalid object store configuration: {exc}") from None
    return dict(config)


def s3_denial(aws: AwsEmulator, role_arn: str, action: str, bucket: str, key: str | None, secure: bool) -> str | None:
    """Why S3 would refuse the role's `action` on the bucket (key None) or one object, or None."""
    resource = f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")
    context = {"aws:SecureTransport": str(secure).lower(), "aws:PrincipalArn": role_arn}
    documents = role_policies(aws, role_arn)
    identity = evaluate(documents, action, resource, context)
    try:
        policy = [json.loads(aws.client("s3").get_bucket_policy(Bucket=bucket)["Policy"])]
    except Exception as exc:
        code = _error_code(exc)
        if code == "NoSuchBucket":
            return "NoSuchBucket: The specified bucket does not exist"
        if code != "NoSuchBucketPolicy":
            raise
        policy = []
    resource_side = evaluate(policy, action, resource, context, principal=("AWS", role_arn))
    user = _assumed_role_arn(role_arn)
    if "Deny" in (identity, resource_side):
        where = "resource-based" if resource_side == "Deny" else "identity-based"
        return (
            f"AccessDenied: User: {user} is not authorized to perform: {action} on resource: "
            f'"{resource}" with an explicit deny in a {where} policy'
        )
    if "Allow" not in (identity, resource_side):
        return (
            f"AccessDenied: User: {user} is not authorized to perform: {action} on resource: "
            f'"{resource}" because no identity-based policy allows the {action} action'
        )
    # S3 allows it; under SSE-KMS, KMS must allow it too (ampctl.sandbox.aws.kms_policy).
    account, region = aws.config.account, aws.config.region
    return object_denial(account, role_arn, user, documents, action, bucket, key or "", region=region)


def store_object(aws: AwsEmulator, bucket: str, key: str, body: bytes) -> None:
    """Write the object as S3 would after allowing it.

    moto judges bucket policies without their conditions, so a TLS-only policy would deny every
    write made over the emulator's plain HTTP; the decision is `s3_denial`'s."""
    from moto.s3.models import s3_backends

    s3_backends[aws.config.account]["aws"].put_object(bucket, key, body)


def list_keys(aws: AwsEmulator, bucket: str, prefix: str) -> list[str]:
    """The keys under `prefix`, read past the bucket policy (see `store_object`)."""
    from moto.s3.models import s3_backends

    found = s3_backends[aws.config.account]["aws"].get_bucket(bucket).keys
    return sorted(str(k) for k in found if str(k).startswith(prefix))


def _error_code(exc: Exception) -> str:
    return str((getattr(exc, "response", None) or {}).get("Error", {}).get("Code", ""))


def _assumed_role_arn(role_arn: str) -> str:
    """arn:aws:iam::<account>:role/<path/name> -> the session ARN S3 names in AccessDenied."""
    fields = role_arn.split(":")
    account = fields[4] if len(fields) > 5 else ""
    return f"arn:aws:sts::{account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/kubecost"
