"""What IAM and STS would decide, judged on the AWS emulator's IAM state.

`is_allowed` (see `iam_policy`) evaluates identity policies; `assume_role_with_web_identity` judges an
EKS projected service-account token as STS does (provider, audience, trust policy and its
conditions) and, when it passes, obtains real temporary credentials from moto's STS.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ampctl.sandbox.aws.iam_policy import evaluate, is_allowed

if TYPE_CHECKING:
    from ampctl.sandbox.aws.world import AwsWorld as AwsEmulator

__all__ = [
    "Credentials",
    "WebIdentityError",
    "assume_role_with_web_identity",
    "is_allowed",
    "role_policies",
    "user_policies",
    "web_identity_context",
]

STS_AUDIENCE = "sts.amazonaws.com"
WEB_IDENTITY_ACTION = "sts:AssumeRoleWithWebIdentity"


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str = field(repr=False)
    session_token: str = field(repr=False)


class WebIdentityError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _document(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    from urllib.parse import unquote

    return dict(json.loads(unquote(str(value))))


def _managed_documents(iam: Any, arns: list[str]) -> list[dict[str, Any]]:
    documents = []
    for arn in arns:
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        got = iam.get_policy_version(PolicyArn=arn, VersionId=version)
        documents.append(_document(got["PolicyVersion"]["Document"]))
    return documents


def role_name(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[-1]


def role_policies(aws: AwsEmulator, role_arn: str) -> list[dict[str, Any]]:
    """Documents of the role's attached managed policies (default versions) and inline policies, read in the
    role's own account (once until IAM changes: every AMP request is judged by them)."""
    return aws.iam_read(f"role-policies:{role_arn}", lambda: _role_policies(aws, role_arn))


def _role_policies(aws: AwsEmulator, role_arn: str) -> list[dict[str, Any]]:
    fields = role_arn.split(":")
    iam = aws.client("iam", account=fields[4] if len(fields) > 5 and fields[4] else None)
    name = role_name(role_arn)
    arns: list[str] = []
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        arns += [p["PolicyArn"] for p in page["AttachedPolicies"]]
    documents = _managed_documents(iam, arns)
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        for policy in page["PolicyNames"]:
            got = iam.get_role_policy(RoleName=name, PolicyName=policy)
            documents.append(_document(got["PolicyDocument"]))
    return documents


def user_policies(aws: AwsEmulator, user_name: str, account: str | None = None) -> list[dict[str, Any]]:
    """Documents of a user's attached and inline policies, and those of the groups it is in."""
    iam = aws.client("iam", account=account)
    arns: list[str] = []
    for page in iam.get_paginator("list_attached_user_policies").paginate(UserName=user_name):
        arns += [p["PolicyArn"] for p in page["AttachedPolicies"]]
    inline = [
        _document(iam.get_user_policy(UserName=user_name, PolicyName=p)["PolicyDocument"])
        for page in iam.get_paginator("list_user_policies").paginate(UserName=user_name)
        for p in page["PolicyNames"]
    ]
    for page in iam.get_paginator("list_groups_for_user").paginate(UserName=user_name):
        for group in page["Groups"]:
            group_name = group["GroupName"]
            for attached in iam.get_paginator("list_attached_group_policies").paginate(GroupName=group_name):
                arns += [p["PolicyArn"] for p in attached["AttachedPolicies"]]
            for names in iam.get_paginator("list_group_policies").paginate(GroupName=group_name):
                for p in names["PolicyNames"]:
                    got = iam.get_group_policy(GroupName=group_name, PolicyName=p)
                    inline.append(_document(got["PolicyDocument"]))
    return _managed_documents(iam, list(dict.fromkeys(arns))) + inline


def web_identity_context(issuer: str, namespace: str, service_account: str) -> dict[str, str]:
    """The condition keys STS sets from an EKS projected token: `<issuer host/path>:sub|aud`."""
    host = issuer.removeprefix("https://")
    return {
        f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
        f"{host}:aud": STS_AUDIENCE,
        f"{host}:oaud": STS_AUDIENCE,
    }


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def projected_token(issuer: str, namespace: str, service_account: str, lifetime: int = 86400) -> str:
    """An unsigned JWT with the claims of an EKS projected service-account token."""
    now = int(time.time())
    claims = {
        "aud": [STS_AUDIENCE],
        "iss": issuer,
        "sub": f"system:serviceaccount:{namespace}:{service_account}",
        "iat": now,
        "exp": now + lifetime,
        "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": service_account}},
    }
    return f"{_b64({'alg': 'RS256', 'kid': 'sandbox'})}.{_b64(claims)}.c2FuZGJveA"


def assume_role_with_web_identity(
    aws: AwsEmulator,
    role_arn: str,
    issuer: str,
    namespace: str,
    service_account: str,
    session_name: str | None = None,
) -> Credentials:
    """Judge as STS would, then return moto's temporary credentials for the role."""
    iam = aws.client("iam")
    host = issuer.removeprefix("https://")
    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else aws.config.account
    provider_arn = f"arn:aws:iam::{account}:oidc-provider/{host}"
    try:
        provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)
    except Exception as exc:
        if _error_code(exc) != "NoSuchEntity":
            raise
        raise WebIdentityError(
            "InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {issuer}"
        ) from None
    if STS_AUDIENCE not in provider.get("ClientIDList", []):
        raise WebIdentityError("InvalidIdentityToken", "Incorrect token audience")
    denied = WebIdentityError("AccessDenied", f"Not authorized to perform {WEB_IDENTITY_ACTION}")
    try:
        role = iam.get_role(RoleName=role_name(role_arn))["Role"]
    except Exception as exc:
        if _error_code(exc) != "NoSuchEntity":
            raise
        raise denied from None
    if role["Arn"] != role_arn:
        raise denied
    trust = _document(role.get("AssumeRolePolicyDocument") or {})
    decision = evaluate(
        [trust],
        WEB_IDENTITY_ACTION,
        context=web_identity_context(issuer, namespace, service_account),
        principal=("Federated", provider_arn),
    )
    if decision != "Allow":
        raise denied
    answer = aws.client("sts").assume_role_with_web_identity(
        RoleArn=role_arn,
        RoleSessionName=session_name or f"botocore-session-{int(time.time())}",
        WebIdentityToken=projected_token(issuer, namespace, service_account),
    )
    creds = answer["Credentials"]
    return Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
