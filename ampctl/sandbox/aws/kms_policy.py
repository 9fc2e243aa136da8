"""SSE-KMS as S3 judges it for its caller (moto 5.2's S3 encrypts nothing and checks no KMS permission).

Rules, each with its source:

- Writing an object to a bucket whose default encryption is SSE-KMS under a customer managed key (or with the
  request's `x-amz-server-side-encryption: aws:kms`) needs the caller's `kms:GenerateDataKey` on the key; reading an
  SSE-KMS object needs `kms:Decrypt` (S3 User Guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)",
  the permissions note). Without a key id, S3 uses the AWS managed key aws/s3, whose key policy lets every principal
  of the account use it through S3: not judged here.
- S3 calls KMS on the caller's behalf, so the request carries `kms:ViaService` = `s3.<region>.amazonaws.com` and
  `kms:CallerAccount` (KMS Developer Guide, "AWS KMS condition keys": kms:ViaService, kms:CallerAccount).
- KMS reads the key policy first. A principal of the key's account may use the key when the key policy allows it by
  name; otherwise the key policy must allow the account principal (`arn:aws:iam::<account>:root`, the default key
  policy's "Enable IAM User Permissions" statement, `kms:*`) and the caller's IAM policies must allow the action:
  "Without this permission, IAM policies that allow access to the key are ineffective" (KMS Developer Guide,
  "Default key policy": "Allows access to the AWS account and enables IAM policies"). A caller of another account
  needs both, always. An explicit Deny in either wins.
- The answers are S3's AccessDenied with KMS's reason, as AWS users report them: no identity policy
  (aws/copilot-cli#5500, cisagov/XFD#1371), a key policy that does not allow the write (buildkite/docs#2344) or the
  read (ministryofjustice/modernisation-platform#3468).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ampctl.sandbox.aws.iam_policy import evaluate

if TYPE_CHECKING:
    from ampctl.sandbox.aws.world import AwsWorld

WRITE, READ = "kms:GenerateDataKey", "kms:Decrypt"
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
NO_KEY_READ = (
    "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are "
    "not allowed to access."
)


def _fields(arn: str) -> list[str]:
    return arn.split(":", 5) if arn.startswith("arn:") else []


def key_arn(key: str, account: str, region: str) -> str | None:
    """The key ARN of a key id, key ARN, alias name or alias ARN (in `account`/`region` unless an ARN says), or None
    when moto has no such key."""
    from moto.kms.models import kms_backends

    fields = _fields(key)
    if len(fields) == 6:
        region, account = fields[3], fields[4]
    try:
        return str(kms_backends[account][region].describe_key(key).arn)
    except Exception:  # noqa: BLE001 - moto's NotFoundException and friends: no such key
        return None


def key_policy(key: str) -> dict[str, Any] | None:
    """The key policy of a key ARN, or None when moto has no such key."""
    from moto.kms.models import kms_backends

    fields = _fields(key)
    if len(fields) != 6:
        return None
    found = kms_backends[fields[4]][fields[3]].keys.get(fields[5].removeprefix("key/"))
    return dict(json.loads(found.policy)) if found is not None else None


def bucket_default_key(account: str, bucket: str) -> str | None:
    """The customer managed key of the bucket's default encryption (as set), or None (SSE-S3, aws/s3, no bucket)."""
    from moto.s3.models import s3_backends

    try:
        rule = (s3_backends[account]["aws"].get_bucket(bucket).encryption or {}).get("Rule") or {}
    except Exception:  # noqa: BLE001 - no such bucket: S3 answers that itself
        return None
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    return default.get("KMSMasterKeyID") if default.get("SSEAlgorithm") in KMS_ALGORITHMS else None


def object_key(account: str, bucket: str, name: str) -> str | None:
    """The customer managed key an object is encrypted under, or None."""
    from moto.s3.models import s3_backends

    try:
        found = s3_backends[account]["aws"].get_object(bucket, name)
    except Exception:  # noqa: BLE001 - no such bucket or object: S3 answers that itself
        return None
    if found is None or getattr(found, "encryption", None) not in KMS_ALGORITHMS:
        return None
    return getattr(found, "kms_key_id", None) or None


def denial(
    caller: str, session: str, identity: list[dict[str, Any]] | None, action: str, key: str, region: str
) -> str | None:
    """Why KMS refuses `caller` (an IAM role, user or account root ARN; `session` is how S3 names it) `action` on
    `key` through S3, or None. `identity` None is an administrator's (every action allowed)."""
    fields = _fields(caller)
    account = fields[4] if len(fields) == 6 else ""
    context = {"kms:ViaService": f"s3.{region}.amazonaws.com", "kms:CallerAccount": account, "aws:PrincipalArn": caller}
    policy = key_policy(key) or {}
    by_name = evaluate([policy], action, key, context, principal=("AWS", caller))
    root = f"arn:{fields[1] if fields else 'aws'}:iam::{account}:root"
    by_account = [evaluate([policy], action, key, context, principal=("AWS", who)) for who in (root, account)]
    allowed_by_key = "Allow" in (by_name, *by_account) and "Deny" not in (by_name, *by_account)
    refused = f"AccessDenied: User: {session} is not authorized to perform: {action}"
    if not allowed_by_key:
        if action == READ:
            return f"AccessDenied: {NO_KEY_READ}"
        return (
            f"{refused} on this resource because the resource does not exist in this Region, no resource-based "
            "policies allow access, or a resource-based policy explicitly denies access"
        )
    same_account = _fields(key)[4] == account
    decision = "Allow" if identity is None else evaluate(identity, action, key, context)
    if decision == "Deny":
        return f"{refused} on resource: {key} with an explicit deny in an identity-based policy"
    if decision == "Allow" or (by_name == "Allow" and same_account):
        return None
    return f"{refused} on resource: {key} because no identity-based policy allows the {action} action"


def object_denial(
    account: str, caller: str, session: str, identity: list[dict[str, Any]] | None, s3_action: str, bucket: str,
    name: str, requested: str | None = None, region: str = "us-east-1",
) -> str | None:  # fmt: skip
    """What KMS says of an allowed `s3:PutObject` (under the bucket's default key, or the key `requested`) or
    `s3:GetObject` (under the object's key), or None when KMS takes no part or allows it."""
    if s3_action == "s3:PutObject":
        action, named = WRITE, requested or bucket_default_key(account, bucket)
    elif s3_action == "s3:GetObject":
        action, named = READ, object_key(account, bucket, name)
    else:
        return None
    if not named:
        return None
    arn = key_arn(named, account, region)
    if arn is None:  # a write under a key that does not exist: KMS's NotFoundException, passed on (an assumption)
        missing = f"KMS.NotFoundException: Key '{named}' does not exist"
        return f"AccessDenied: {NO_KEY_READ}" if action == READ else missing
    return denial(caller, session, identity, action, arn, _fields(arn)[3])


GATED = {"PutObject": "s3:PutObject", "GetObject": "s3:GetObject"}


def s3_refusal(aws: AwsWorld, access_key: str, operation: str, environ: dict[str, Any]) -> tuple[int, bytes] | None:
    """For an S3 request through the emulator that S3 itself allows: None, or (403, S3's error document) when KMS
    refuses its caller. Multipart uploads are not judged (what ampctl and the stand-in write is small)."""
    from urllib.parse import unquote
    from xml.sax.saxutils import escape

    from ampctl.sandbox.aws.iam_eval import role_policies, user_policies
    from ampctl.sandbox.aws.sigv4 import header_value, resolve_principal

    s3_action = GATED.get(operation)
    principal = resolve_principal(access_key, aws.config.account) if s3_action else None
    if s3_action is None or principal is None:
        return None
    bucket, _, name = str(environ.get("PATH_INFO", "")).lstrip("/").partition("/")
    sse = header_value(environ, "x-amz-server-side-encryption")
    requested = header_value(environ, "x-amz-server-side-encryption-aws-kms-key-id")
    if s3_action == "s3:PutObject" and (sse == "AES256" or (sse in KMS_ALGORITHMS and not requested)):
        return None  # SSE-S3, or the AWS managed key aws/s3
    caller, identity = principal.arn, None
    if principal.kind == "assumed-role" and principal.role_arn:
        caller, identity = principal.role_arn, role_policies(aws, principal.role_arn)
    elif principal.kind == "user" and principal.user_name:
        identity = user_policies(aws, principal.user_name, _fields(principal.arn)[4])
    account = str(environ.get("HTTP_X_MOTO_ACCOUNT_ID") or aws.config.account)
    found = object_denial(
        account, caller, principal.arn, identity, s3_action, bucket, unquote(name), requested, aws.config.region
    )
    if found is None:
        return None
    code, _, message = found.partition(": ")
    body = f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
    return 403, ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()
