"""A boto3 session acting as an IAM role (sts:AssumeRole, session name ampctl), possibly in another account."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ampctl.endpoints import account_of
from ampctl.errors import AmpctlError

if TYPE_CHECKING:
    import boto3

SESSION_NAME = "ampctl"


def assumed_session(client: Callable[[str], Any], region: str, role_arn: str) -> boto3.Session:
    """`client` makes the source session's clients (its STS client, with ampctl's retries and tracing)."""
    import boto3
    import botocore.session
    from botocore.credentials import DeferredRefreshableCredentials

    def refresh() -> dict[str, Any]:
        creds = assume(client("sts"), role_arn)
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }

    core = botocore.session.get_session()
    core._credentials = DeferredRefreshableCredentials(refresh_using=refresh, method="assume-role")  # noqa: SLF001
    return boto3.Session(botocore_session=core, region_name=region)


def assume(sts: Any, role_arn: str) -> dict[str, Any]:
    """The role's temporary credentials; AccessDenied becomes one line naming the role and both sides' duty."""
    from botocore.exceptions import ClientError

    try:
        return dict(sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME)["Credentials"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "AccessDenied":
            raise
        account = account_of(role_arn)
        raise AmpctlError(
            f"cannot assume {role_arn} in account {account}: {exc.response['Error'].get('Message', 'AccessDenied')}",
            f"the role's trust policy in account {account} must name your identity (or your account), and your "
            "identity's policies must allow sts:AssumeRole on it (README: 'A workspace in another account')",
        ) from exc
