"""`sts:AssumeRole` judged as AWS judges it, also across accounts (moto lets anyone assume anything).

The caller is found by its access key: the operator (the sandbox account's administrator), an assumed role (its
policies, in its own account) or an IAM user. The role must exist in the account of its ARN and its trust policy
must allow the caller: naming the caller's role (or user) itself, or the caller's account (`arn:aws:iam::B:root`,
`B`), or `*`. Within one account, a trust policy that names the caller is enough; otherwise, and always across
accounts, the caller's identity policies must allow `sts:AssumeRole` on the role as well. An explicit Deny in
either wins. A refusal is AWS's AccessDenied, with AWS's message.

An AssumeRole that passes session tags (its own, or the caller's transitive ones inherited in a role chain) is
also sts:TagSession, judged the same way with `aws:RequestTag/*` and `aws:TagKeys` in the context: the trust policy
must allow it, and so must the caller's identity policies where they must allow sts:AssumeRole (IAM User Guide,
"Passing session tags in AWS STS": "Permissions required to add session tags", "Chaining roles with session tags").
The refusal then names sts:TagSession ("User: ... is not authorized to perform: sts:TagSession on resource: ...").
The new session keeps the transitive tags (`session_tags`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ampctl.sandbox.aws.iam_policy import evaluate
from ampctl.sandbox.aws.session_tags import SessionTags

if TYPE_CHECKING:
    from ampctl.sandbox.aws.sigv4 import Principal
    from ampctl.sandbox.aws.world import AwsWorld as AwsEmulator

Answer = tuple[int, list[tuple[str, str]], bytes]
Forward = Callable[[], Answer]
ACTION = "sts:AssumeRole"
TAG_ACTION = "sts:TagSession"


class AssumeRoleDenied(Exception):
    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def account_of(arn: str) -> str:
    fields = arn.split(":")
    return fields[4] if len(fields) > 5 else ""


def _caller_names(principal: Principal, account: str) -> tuple[str, list[str]]:
    """(the ARN a trust policy names for this caller, the ARNs/ids that stand for its whole account)."""
    named = principal.role_arn if principal.kind == "assumed-role" and principal.role_arn else principal.arn
    return named, [f"arn:aws:iam::{account}:root", account]


def _identity_allows(
    aws: AwsEmulator, principal: Principal, account: str, role_arn: str, action: str = ACTION, context: Any = None
) -> str:
    from ampctl.sandbox.aws.iam_eval import role_policies, user_policies

    if principal.kind == "operator":
        return "Allow"
    if principal.kind == "assumed-role" and principal.role_arn:
        documents = role_policies(aws, principal.role_arn)
    elif principal.kind == "user" and principal.user_name:
        documents = user_policies(aws, principal.user_name, account)
    else:
        return "ImplicitDeny"
    return evaluate(documents, action, role_arn, context)


def _trust(aws: AwsEmulator, role_arn: str) -> dict[str, Any] | None:
    from ampctl.documents import parse_document
    from ampctl.sandbox.aws.iam_eval import role_name

    iam = aws.client("iam", account=account_of(role_arn))
    try:
        role = iam.get_role(RoleName=role_name(role_arn))["Role"]
    except iam.exceptions.NoSuchEntityException:
        return None
    if role["Arn"] != role_arn:
        return None
    return dict(parse_document(role.get("AssumeRolePolicyDocument") or {}))


def judge(aws: AwsEmulator, access_key: str, role_arn: str, tags: SessionTags | None = None) -> Principal:
    """The caller, when it may assume `role_arn` (passing `tags`); else AssumeRoleDenied with AWS's answer."""
    from ampctl.sandbox.aws.sigv4 import resolve_principal

    principal = resolve_principal(access_key, aws.config.account)
    if principal is None:
        raise AssumeRoleDenied("InvalidClientTokenId", "The security token included in the request is invalid.")
    caller_account = account_of(principal.arn) or aws.config.account
    context = tags.context() if tags is not None else {}
    trust = _trust(aws, role_arn)
    for action in (ACTION, TAG_ACTION) if context else (ACTION,):
        denied = AssumeRoleDenied(
            "AccessDenied", f"User: {principal.arn} is not authorized to perform: {action} on resource: {role_arn}"
        )
        if trust is None:
            raise denied
        named, whole_account = _caller_names(principal, caller_account)
        by_name = evaluate([trust], action, context=context, principal=("AWS", named))
        by_account = [evaluate([trust], action, context=context, principal=("AWS", who)) for who in whole_account]
        if "Deny" in (by_name, *by_account) or "Allow" not in (by_name, *by_account):
            raise denied
        if by_name == "Allow" and caller_account == account_of(role_arn):
            continue
        if _identity_allows(aws, principal, caller_account, role_arn, action, context) != "Allow":
            raise denied
    return principal


def sts_error(code: str, message: str) -> bytes:
    """STS's XML error document."""
    import uuid
    from xml.sax.saxutils import escape

    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()


def assume_role(aws: AwsEmulator, access_key: str, body: bytes, forward: Forward) -> Answer:
    """An AssumeRole request: refused as AWS would (STS's error document), else `forward()`ed to moto, the new
    session's access key remembered with the tags it carries."""
    import re
    from urllib.parse import parse_qsl

    from ampctl.sandbox.aws.session_tags import merged, remember

    form = dict(parse_qsl(body.decode(errors="replace")))
    tags = merged(access_key, body)
    try:
        judge(aws, access_key, str(form.get("RoleArn", "")), tags)
    except AssumeRoleDenied as exc:
        out = sts_error(exc.code, exc.message)
        return exc.status, [("Content-Type", "text/xml"), ("Content-Length", str(len(out)))], out
    status, headers, out = forward()
    found = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", out)
    if 200 <= status < 300 and found:
        remember(found.group(1).decode(), tags)
    return status, headers, out
