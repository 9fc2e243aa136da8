"""Translate botocore failures into what the user should do."""

from __future__ import annotations

from typing import Any

from ampctl.errors import AmpctlError

_ACCESS_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException"}


def translate_aws_error(exc: BaseException) -> AmpctlError | None:
    from botocore import exceptions as bx

    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return AmpctlError(
            "no AWS credentials found",
            "set AWS_PROFILE or pass --profile, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
        )
    if isinstance(exc, bx.ProfileNotFound):
        return AmpctlError(str(exc), "list profiles with `aws configure list-profiles`")
    if isinstance(exc, bx.NoRegionError):
        return AmpctlError("no AWS region set", "pass --region or export AWS_REGION")
    if isinstance(exc, bx.EndpointConnectionError):
        return AmpctlError(f"cannot reach AWS: {exc}", "check the network, AWS_ENDPOINT_URL and the region")
    if isinstance(exc, bx.TokenRetrievalError | bx.SSOTokenLoadError):
        return AmpctlError("the AWS SSO session has expired", "run `aws sso login` for your profile")
    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        op = getattr(exc, "operation_name", "")
        if code in _ACCESS_CODES:
            return AmpctlError(
                f"AWS denied {op}: {error.get('Message', code)}",
                "the identity running ampctl needs permission for this call (see README, 'IAM permissions')",
            )
        if code in {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch"}:
            return AmpctlError(f"AWS rejected the credentials ({code})", "refresh your credentials and retry")
        if code == "MalformedPolicyDocument" and "Invalid principal" in str(error.get("Message", "")):
            # A trust naming a role that IAM does not know (deleted, or still propagating after ampctl's retries).
            return AmpctlError(
                f"AWS refused {op}: {error.get('Message')}: the trusted role does not exist (yet)",
                "if another run is deleting or creating it, wait for that run to finish, then re-run",
            )
        if code in GONE | RACED:
            # What the plan saw changed under the run: something vanished (a teardown), appeared, or was being
            # changed by another call. A re-run plans from the new state.
            what = "vanished" if code in GONE else "was changed by another caller"
            return AmpctlError(
                f"{op}: {error.get('Message') or code} ({code}): it {what} while ampctl was using it; "
                "another ampctl run (or a teardown) is the likely cause",
                "wait for the other run to finish, then re-run: the re-run plans from what is there now",
            )
    return None


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response = getattr(exc, "response", None)
    return str((response or {}).get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


GONE = frozenset({"NoSuchEntity", "ResourceNotFoundException", "NoSuchBucket", "NoSuchKey", "NoSuchUpload"})
# Another caller's change at the same time: IAM's ConcurrentModification and EntityAlreadyExists (IAM API
# reference, "Common Errors" and each Create* action's errors), S3's OperationAborted ("A conflicting
# conditional operation is currently in progress against this resource", S3 API reference, "Error
# responses"), AMP's and EKS's ConflictException / ResourceInUseException (their API references).
RACED = frozenset(
    {
        "ConcurrentModification",
        "ConcurrentModificationException",
        "EntityAlreadyExists",
        "OperationAborted",
        "ConflictException",
        "ResourceInUseException",
    }
)


def done_if_gone(call: Any, /, *args: Any, **kwargs: Any) -> bool:
    """Make a delete (or detach) call; "not found" counts as done.

    A retried call whose first, lost, attempt already worked meets "not found": the goal is reached.
    Returns False when the target was already gone.
    """
    from botocore.exceptions import ClientError

    try:
        call(*args, **kwargs)
    except ClientError as exc:
        if error_code(exc) in GONE:
            return False
        raise
    return True
