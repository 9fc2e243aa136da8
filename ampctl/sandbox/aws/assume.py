"""`sts:AssumeRole` judged as AWS judges it, also across accounts (moto lets anyone assume anything).

The caller is found by its access key: the operator (the sandbox account's administrator), an assumed role (its
policies, in its own account) or an IAM user. The role must exist in the account of its ARN and its trust policy
must allow the caller: naming the caller's role (or user) itself, or the caller's account (`arn:aws:iam::B:root`,
`B`), or `*`. Within one account, a trust policy that names the caller is enough; otherwise, and always across
accounts, the caller's identity policies must allow `sts:AssumeRole` on the role as well. An explicit Deny in
either wins. A refusal is AWS's AccessDenied, with AWS's message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ampctl.sandbox.aws.iam_policy import evaluate

if TYPE_CHECKING:
    from ampctl.sandbox.aws.sigv4 import Principal
    from ampctl.sandbox.aws.world import AwsWorld as AwsEmulator

ACTION = "sts:AssumeRole"


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


def _identity_allows(aws: AwsEmulator, principal: Principal, account: str, role_arn: str) -> str:
    from ampctl.sandbox.aws.iam_eval import role_policies, user_policies

    if principal.kind == "operator":
        return "Allow"
    if principal.kind == "assumed-role" and principal.role_arn:
        documents = role_policies(aws, principal.role_arn)
    elif principal.kind == "user" and principal.user_name:
        documents = user_policies(aws, principal.user_name, account)
    else:
        return "ImplicitDeny"
    return evaluate(documents, ACTION, role_arn)


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


def judge(aws: AwsEmulator, access_key: str, role_arn: str) -> Principal:
    """The caller, when it may assume `role_arn`; else AssumeRoleDenied with AWS's answer."""
    from ampctl.sandbox.aws.sigv4 import resolve_principal

    principal = resolve_principal(access_key, aws.config.account)
    if principal is None:
        raise AssumeRoleDenied("InvalidClientTokenId", "The security token included in the request is invalid.")
    caller_account = account_of(principal.arn) or aws.config.account
    denied = AssumeRoleDenied(
        "AccessDenied", f"User: {principal.arn} is not authorized to perform: {ACTION} on resource: {role_arn}"
    )
    trust = _trust(aws, role_arn)
    if trust is None:
        raise denied
    named, whole_account = _caller_names(principal, caller_account)
    by_name = evaluate([trust], ACTION, principal=("AWS", named))
    by_account = [evaluate([trust], ACTION, principal=("AWS", who)) for who in whole_account]
    if "Deny" in (by_name, *by_account) or "Allow" not in (by_name, *by_account):
        raise denied
    same_account = caller_account == account_of(role_arn)
    if by_name == "Allow" and same_account:
        return principal
    if _identity_allows(aws, principal, caller_account, role_arn) != "Allow":
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


def refusal(aws: AwsEmulator, access_key: str, body: bytes) -> tuple[int, bytes] | None:
    """For an AssumeRole request: None when AWS would let it through, else (status, STS's error document)."""
    from urllib.parse import parse_qsl

    form = dict(parse_qsl(body.decode(errors="replace")))
    try:
        judge(aws, access_key, str(form.get("RoleArn", "")))
    except AssumeRoleDenied as exc:
        return exc.status, sts_error(exc.code, exc.message)
    return None
