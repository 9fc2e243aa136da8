"""SigV4 verification as an AWS endpoint does it, and the credentials moto knows, found by access key.

The request is rebuilt from the headers named in SignedHeaders, the time is taken from X-Amz-Date,
and it is signed again with `botocore.auth.SigV4Auth` for the scope's region and service; the two
signatures are compared in constant time. Presigned URLs (query-string auth) are not accepted.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ampctl.sandbox.config import ACCOUNT_ID, OPERATOR_ACCESS_KEY, OPERATOR_SECRET_KEY

SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
MAX_SKEW = datetime.timedelta(minutes=15)
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


class SigV4Error(Exception):
    """An answer for the client: HTTP status, AWS error type and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def missing_token() -> SigV4Error:
    return SigV4Error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")


def invalid_token() -> SigV4Error:
    return SigV4Error(403, "UnrecognizedClientException", "The security token included in the request is invalid.")


def mismatch() -> SigV4Error:
    return SigV4Error(403, "InvalidSignatureException", MISMATCH)


@dataclass(frozen=True)
class Authorization:
    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(header: str) -> Authorization:
    match = _AUTH.match(header.strip())
    if not match:
        raise SigV4Error(
            403,
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.",
        )
    parts = match.group("credential").split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SigV4Error(403, "IncompleteSignatureException", "Credential is malformed.")
    signed = tuple(h.strip().lower() for h in match.group("signed").split(";") if h.strip())
    return Authorization(parts[0], parts[1], parts[2], parts[3], signed, match.group("signature").lower())


@dataclass(frozen=True)
class Principal:
    """Who signed: the operator, an assumed role (temporary credentials) or an IAM user."""

    kind: str  # "operator", "assumed-role", "user"
    arn: str
    access_key: str
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    role_arn: str | None = None
    user_name: str | None = None
    expiration: datetime.datetime | None = None


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def account_of_key(access_key: str) -> str | None:
    """The account whose IAM holds `access_key` (a user's key, or temporary credentials of an assumed role)."""
    from moto.iam.models import iam_backends

    for account, backends in list(iam_backends.items()):
        for backend in list(backends.values()):
            if access_key in backend.access_keys:
                return str(account)
    return None


def request_account(authorization: str, operator_account: str) -> str:
    """The account a request acts in: the operator's account for its keys, else the account of the key's owner."""
    match = re.search(r"Credential=([^/,\s]+)/", authorization)
    if match is None or match.group(1) == OPERATOR_ACCESS_KEY:
        return operator_account
    return account_of_key(match.group(1)) or operator_account


def resolve_principal(access_key: str, account: str = ACCOUNT_ID) -> Principal | None:
    """Look the access key up: the operator's (in `account`), or temporary credentials or a user's key, in the
    account moto keeps them in (an assumed role's credentials belong to the role's account)."""
    if access_key == OPERATOR_ACCESS_KEY:
        return Principal("operator", f"arn:aws:iam::{account}:root", access_key, OPERATOR_SECRET_KEY)
    account = account_of_key(access_key) or account
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    assumed = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
    if assumed is not None:
        return Principal(
            "assumed-role",
            assumed.arn,
            access_key,
            assumed.secret_access_key,
            assumed.session_token,
            role_arn=assumed.role_arn,
            expiration=assumed.expiration,
        )
    iam = iam_backends[account]["global"]
    user = iam.get_user_from_access_key_id(access_key)
    if user is None:
        return None
    for key in iam.list_access_keys(user.name):
        if key.access_key_id == access_key and key.status == "Active":
            return Principal("user", user.arn, access_key, key.secret_access_key, user_name=user.name)
    return None


def header_value(environ: Mapping[str, Any], name: str) -> str | None:
    lowered = name.lower()
    if lowered == "content-type":
        key = "CONTENT_TYPE"
    elif lowered == "content-length":
        key = "CONTENT_LENGTH"
    else:
        key = "HTTP_" + lowered.upper().replace("-", "_")
    value = environ.get(key)
    return None if value is None else str(value)


def raw_target(environ: Mapping[str, Any]) -> tuple[str, str]:
    """(path, query) as the client sent them, still percent-encoded."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path, _, query = str(raw).partition("?")
        return path, query
    from urllib.parse import quote

    return quote(str(environ.get("PATH_INFO", "/"))), str(environ.get("QUERY_STRING", ""))


def expected_signature(
    auth: Authorization,
    secret_key: str,
    session_token: str | None,
    method: str,
    headers: Mapping[str, str],
    path: str,
    query: str,
    body: bytes,
    amz_date: str,
) -> str:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    host = headers.get("host", "localhost")
    url = f"http://{host}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(auth.access_key, secret_key, session_token), auth.service, auth.region)
    canonical = signer.canonical_request(request)
    return str(signer.signature(signer.string_to_sign(request, canonical), request))


def verify(
    environ: Mapping[str, Any], body: bytes, service: str, account: str = ACCOUNT_ID, now: Any = None
) -> tuple[Principal, Authorization]:
    """Check the request's SigV4 signature; return who signed it, or raise SigV4Error."""
    header = header_value(environ, "authorization")
    if not header:
        raise missing_token()
    auth = parse_authorization(header)
    if auth.service != service:
        raise SigV4Error(
            403, "InvalidSignatureException", f"Credential should be scoped to correct service: '{service}'."
        )
    amz_date = header_value(environ, "x-amz-date") or ""
    try:
        signed_at = datetime.datetime.strptime(amz_date, SIGV4_TIMESTAMP)
    except ValueError:
        raise SigV4Error(
            403, "IncompleteSignatureException", "Authorization header requires existence of X-Amz-Date."
        ) from None
    if amz_date[:8] != auth.date:
        raise SigV4Error(403, "InvalidSignatureException", "Credential should be scoped to a valid date.")
    current = now() if now is not None else _utcnow()
    if abs(current - signed_at) > MAX_SKEW:
        earliest = (current - MAX_SKEW).strftime(SIGV4_TIMESTAMP)
        raise SigV4Error(
            403,
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is now earlier than {earliest} "
            f"({current.strftime(SIGV4_TIMESTAMP)} - 15 min.)",
        )
    if "host" not in auth.signed_headers:
        raise SigV4Error(403, "InvalidSignatureException", "'Host' must be a 'SignedHeader'.")
    principal = resolve_principal(auth.access_key, account)
    if principal is None:
        raise invalid_token()
    if principal.expiration is not None and principal.expiration < current:
        raise SigV4Error(403, "ExpiredTokenException", "The security token included in the request is expired")
    token = header_value(environ, "x-amz-security-token")
    if (principal.session_token or token) and not hmac.compare_digest(
        (principal.session_token or "").encode(), (token or "").encode()
    ):
        raise invalid_token()
    content_sha = header_value(environ, "x-amz-content-sha256")
    if content_sha is not None and not hmac.compare_digest(
        content_sha.lower().encode(), hashlib.sha256(body).hexdigest().encode()
    ):
        raise mismatch()
    headers: dict[str, str] = {}
    for name in auth.signed_headers:
        value = header_value(environ, name)
        if value is None:
            raise mismatch()
        headers[name] = value
    path, query = raw_target(environ)
    method = str(environ.get("REQUEST_METHOD", "GET"))
    expected = expected_signature(
        auth, principal.secret_key, principal.session_token, method, headers, path, query, body, amz_date
    )
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        raise mismatch()
    return principal, auth


def sign(
    method: str,
    url: str,
    *,
    access_key: str,
    secret_key: str,
    region: str,
    session_token: str | None = None,
    service: str = "aps",
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers to send with a SigV4-signed request (a `Host` in `headers` is signed as given)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url, headers=dict(headers or {}), data=body)
    SigV4Auth(Credentials(access_key, secret_key, session_token), service, region).add_auth(request)
    return {str(k): str(v) for k, v in request.headers.items()}
