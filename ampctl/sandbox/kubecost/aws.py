"""How Kubecost's pods reach AWS: credentials for a service account (IRSA, else EKS Pod Identity, in the SDK's
chain order), and SigV4-signed calls sent to the AMP emulator with the Host header of the real endpoint."""

from __future__ import annotations

import http.client
import re
import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ampctl.sandbox.aws.iam_eval import Credentials, WebIdentityError, assume_role_with_web_identity
from ampctl.sandbox.aws.sigv4 import sign

if TYPE_CHECKING:
    from ampctl.sandbox.aws.emulator import AwsEmulator

AMP_HOST = re.compile(r"^aps-workspaces\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")
NO_CREDENTIALS = (
    "NoCredentialProviders: no valid providers in chain. Deprecated.\n"
    "\tFor verbose messaging see aws.Config.CredentialsChainVerboseErrors"
)
_STS_STATUS = {"AccessDenied": 403, "InvalidIdentityToken": 400, "ExpiredTokenException": 400}


class CredentialError(Exception):
    """The pod's SDK found no usable credentials; the text is what the Go SDK reports."""


def irsa_credentials(
    aws: AwsEmulator, issuer: str, namespace: str, service_account: str, role_arn: str | None
) -> Credentials:
    """Credentials the SDK's web-identity provider obtains for a pod, or CredentialError."""
    if not role_arn:
        raise CredentialError(NO_CREDENTIALS)
    try:
        return assume_role_with_web_identity(aws, role_arn, issuer, namespace, service_account)
    except WebIdentityError as exc:
        status = _STS_STATUS.get(exc.code, 400)
        raise CredentialError(
            f"WebIdentityErr: failed to retrieve credentials\ncaused by: {exc.code}: {exc.message}\n"
            f"\tstatus code: {status}, request id: {uuid.uuid4()}"
        ) from None


_SESSION_LOCK = threading.Lock()
_SESSION: Any = None


def assumed_credentials(aws: AwsEmulator, base: Credentials, role_arn: str, session_name: str) -> Credentials:
    """What the pod's SDK gets from `sts:AssumeRole` on `role_arn`, called with its own credentials `base` (the
    role chain of `--role-arn` and `sigv4.role_arn`), or CredentialError with the Go SDK's text."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    from ampctl.sandbox.aws.emulator import _mark_internal

    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is None:
            _SESSION = boto3.session.Session()
        sts = _SESSION.client(
            "sts",
            region_name=aws.config.region,
            endpoint_url=aws.endpoint,
            aws_access_key_id=base.access_key,
            aws_secret_access_key=base.secret_key,
            aws_session_token=base.session_token or None,
            config=Config(retries={"mode": "standard", "max_attempts": 3}),
        )
    sts.meta.events.register("before-send.*.*", _mark_internal)
    try:
        got = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 403)
        raise CredentialError(
            f"{error.get('Code', 'AccessDenied')}: {error.get('Message', '')}\n"
            f"\tstatus code: {status}, request id: {uuid.uuid4()}"
        ) from None
    return Credentials(got["AccessKeyId"], got["SecretAccessKey"], got["SessionToken"])


# The aws-sigv4-proxy releases whose aws-sdk-go has the container credential provider EKS Pod Identity uses
# (AWS_CONTAINER_CREDENTIALS_FULL_URI on 169.254.170.23 with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE): 1.9 and later.
# awslabs/aws-sigv4-proxy at v1.8 vendors aws-sdk-go v1.44.233 without it; at v1.9 (go.mod: aws-sdk-go v1.54.19)
# vendor/github.com/aws/aws-sdk-go/aws/defaults/defaults.go reads AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE and allows
# 169.254.170.23. `latest` names no known release, so it is not counted on.
PROXY_POD_IDENTITY_FROM = (1, 9)


def proxy_supports_pod_identity(image: str) -> bool:
    tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
    match = re.match(r"^v?(\d+)\.(\d+)", tag)
    return match is not None and (int(match.group(1)), int(match.group(2))) >= PROXY_POD_IDENTITY_FROM


@dataclass(frozen=True)
class Pod:
    """Who asks for credentials: the pod (its name and uid become EKS Pod Identity session tags), and whether a
    self-managed eks-pod-identity-agent DaemonSet runs on its cluster."""

    namespace: str
    service_account: str
    name: str = ""
    uid: str = ""
    agent_running: bool = False


def pod_credentials(
    aws: AwsEmulator, cluster: str, pod: Pod, role_arn: str | None, proxy_image: str | None
) -> Credentials:
    """The credentials the pod's SDK finds: IRSA (web identity) first when the ServiceAccount is annotated, else
    EKS Pod Identity's container credentials; `proxy_image` is the sigv4 proxy's image when it is the one asking."""
    if role_arn:
        return irsa_credentials(aws, aws.cluster_issuer(cluster), pod.namespace, pod.service_account, role_arn)
    from ampctl.sandbox.aws.pod_identity_auth import PodIdentityError, assume_role_for_pod_identity

    try:
        credentials = assume_role_for_pod_identity(
            aws, cluster, pod.namespace, pod.service_account, pod.name, pod.uid, pod.agent_running
        )
    except PodIdentityError as exc:
        if exc.code != "AccessDeniedException":
            raise CredentialError(NO_CREDENTIALS) from None
        raise CredentialError(
            f"CredentialsEndpointError: failed to load credentials\ncaused by: {exc.code}: {exc.message}\n"
            # eks-auth's AccessDeniedException is HTTP 400 (botocore eks-auth/2023-11-26), passed on by the agent
            f"\tstatus code: 400, request id: {uuid.uuid4()}"
        ) from None
    if proxy_image is not None and not proxy_supports_pod_identity(proxy_image):
        raise CredentialError(NO_CREDENTIALS)  # its SDK has no Pod Identity provider
    return credentials


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    body: bytes


def send(
    target: str,
    method: str,
    url: str,
    *,
    region: str,
    credentials: Credentials | None,
    service: str = "aps",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Answer:
    """Send `method url` to the emulator at `target`, signed for `url`'s host when credentials are given.

    Raises OSError when the emulator cannot be reached.
    """
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = {"Host": parts.netloc, **(headers or {})}
    if credentials is not None:
        sent = sign(
            method,
            f"https://{parts.netloc}{path}",
            access_key=credentials.access_key,
            secret_key=credentials.secret_key,
            session_token=credentials.session_token,
            region=region,
            service=service,
            body=body,
            headers=sent,
        )
    where = urlsplit(target)
    conn = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port or 80, timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers=sent)
        answer = conn.getresponse()
        return Answer(answer.status, answer.reason, answer.read())
    finally:
        conn.close()
