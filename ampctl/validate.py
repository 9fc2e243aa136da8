"""Validators for user input: each returns the value or raises AmpctlError naming the rule."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ampctl.errors import AmpctlError
from ampctl.versions import check_identity, check_mode

if TYPE_CHECKING:
    from ampctl.spec import ClusterSpec

_CLUSTER = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]*$")
_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_WORKSPACE_ID = re.compile(r"^[0-9A-Za-z][-.0-9A-Z_a-z]*$")
_ISSUER = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~%-]+)*/?$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_ROLE_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
# A KMS key ARN; its key id is a UUID, or mrk- and 32 hex digits for a multi-Region key (KMS Developer Guide,
# "Key identifiers (KeyId)": key ID, key ARN).
_KMS_KEY_ARN = re.compile(
    r"^arn:aws(-cn|-us-gov)?:kms:(?P<region>[a-z]{2}(-[a-z]+)+-\d{1,2}):\d{12}:"
    r"key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fail(what: str, value: object, rule: str, hint: str) -> AmpctlError:
    return AmpctlError(f"invalid {what} {_show(value)}: {rule}", hint)


def _string(what: str, value: object) -> str:
    if not isinstance(value, str):
        raise _fail(what, value, "must be a string", f"pass the {what} as text")
    return value


def cluster_name(s: str) -> str:
    """An EKS cluster name: 1-100 characters, alphanumerics, hyphens and underscores, alphanumeric first."""
    s = _string("EKS cluster name", s)
    hint = "EKS cluster names have 1-100 letters, digits, '-' and '_', starting with a letter or digit"
    if not 1 <= len(s) <= 100:
        raise _fail("EKS cluster name", s, "must have 1 to 100 characters", hint)
    if not _CLUSTER.match(s):
        raise _fail("EKS cluster name", s, r"must match ^[0-9A-Za-z][A-Za-z0-9\-_]*$", hint)
    return s


def bucket_name(s: str) -> str:
    """An S3 bucket name under the general-purpose bucket naming rules."""
    s = _string("S3 bucket name", s)
    hint = (
        "S3 bucket names have 3-63 characters: lowercase letters, digits, '.' and '-', "
        "starting and ending with a letter or digit"
    )
    if not 3 <= len(s) <= 63:
        raise _fail("S3 bucket name", s, "must have 3 to 63 characters", hint)
    if not _BUCKET_CHARS.match(s):
        raise _fail(
            "S3 bucket name",
            s,
            "must use lowercase letters, digits, '.' and '-' and start/end alphanumeric",
            hint,
        )
    if ".." in s:
        raise _fail("S3 bucket name", s, "must not contain two adjacent periods", hint)
    if _IPV4.match(s):
        raise _fail("S3 bucket name", s, "must not be formatted as an IP address", hint)
    for prefix in _BUCKET_PREFIXES:
        if s.startswith(prefix):
            raise _fail("S3 bucket name", s, f"must not start with the reserved prefix {prefix!r}", hint)
    for suffix in _BUCKET_SUFFIXES:
        if s.endswith(suffix):
            raise _fail("S3 bucket name", s, f"must not end with the reserved suffix {suffix!r}", hint)
    return s


def workspace_alias(s: str) -> str:
    """An AMP workspace alias: 1-100 printable characters."""
    s = _string("workspace alias", s)
    hint = "AMP workspace aliases have 1 to 100 printable characters"
    if not 1 <= len(s) <= 100:
        raise _fail("workspace alias", s, "must have 1 to 100 characters", hint)
    if not s.isprintable():
        raise _fail("workspace alias", s, "must not contain control characters", hint)
    return s


def workspace_id(s: str) -> str:
    """An AMP workspace id such as ws-12345678-abcd-..."""
    s = _string("workspace id", s)
    if not (1 <= len(s) <= 64 and _WORKSPACE_ID.match(s)):
        raise _fail(
            "workspace id",
            s,
            "must be 1-64 letters, digits, '.', '_' or '-'",
            "copy the id from `aws amp list-workspaces`",
        )
    return s


def namespace(s: str) -> str:
    """A Kubernetes namespace: an RFC 1123 label."""
    s = _string("namespace", s)
    if not (len(s) <= 63 and _DNS_LABEL.match(s)):
        raise _fail(
            "namespace",
            s,
            "must be an RFC 1123 label",
            "use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
        )
    return s


def release_name(s: str) -> str:
    """A Helm release name: at most 53 characters, lowercase RFC 1123 subdomain."""
    s = _string("Helm release name", s)
    if not (len(s) <= 53 and _DNS_SUBDOMAIN.match(s)):
        raise _fail(
            "Helm release name",
            s,
            "must be a lowercase RFC 1123 name of at most 53 characters",
            "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
        )
    return s


def secret_name(s: str) -> str:
    """A Kubernetes Secret name: an RFC 1123 subdomain."""
    return _subdomain("Secret name", s)


def storage_class(s: str) -> str:
    """A StorageClass name: an RFC 1123 subdomain."""
    return _subdomain("StorageClass name", s)


def _subdomain(what: str, s: str) -> str:
    """A Kubernetes object name that must be an RFC 1123 subdomain (at most 253 characters)."""
    s = _string(what, s)
    if not (len(s) <= 253 and _DNS_SUBDOMAIN.match(s)):
        raise _fail(
            what,
            s,
            "must be an RFC 1123 subdomain",
            "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
        )
    return s


def region(s: str) -> str:
    """An AWS region code such as us-east-1."""
    s = _string("AWS region", s)
    if not _REGION.match(s):
        raise _fail("AWS region", s, "must be a region code", "use a region code such as us-east-1 or eu-west-2")
    return s


def account(s: str) -> str:
    """An AWS account id: exactly 12 digits (leading zeros kept)."""
    s = _string("AWS account id", s)
    if not _ACCOUNT.match(s):
        raise _fail(
            "AWS account id",
            s,
            "must be exactly 12 digits",
            "use the id `aws sts get-caller-identity` prints",
        )
    return s


def oidc_issuer(s: str) -> str:
    """The cluster's OIDC issuer URL (https)."""
    s = _string("OIDC issuer", s)
    if not _ISSUER.match(s):
        raise _fail(
            "OIDC issuer",
            s,
            "must be an https:// URL",
            "use the issuer from `aws eks describe-cluster --query cluster.identity.oidc.issuer`",
        )
    return s


def role_arn(s: str, what: str = "--workspace-account-role") -> str:
    """An IAM role ARN, arn:<partition>:iam::<12-digit account>:role/[path/]<name>."""
    s = _string(what, s)
    if not _ROLE_ARN.match(s):
        raise _fail(
            what,
            s,
            "must be an IAM role ARN, arn:aws:iam::<12-digit account>:role/<name>",
            "pass the ARN of the role in the workspace's account that ampctl may assume",
        )
    return s


def kms_key(s: str, region: str | None = None) -> str:
    """--kms-key: a KMS key ARN, in the bucket's region when that is known.

    An IAM policy names a KMS key by its key ARN only; a key id, an alias name or an alias ARN there matches nothing
    (KMS Developer Guide, "Specifying KMS keys in IAM policy statements"). And SSE-KMS needs the key in the bucket's
    Region (S3 User Guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)").
    """
    s = _string("--kms-key", s)
    found = _KMS_KEY_ARN.match(s)
    if not found:
        raise _fail(
            "--kms-key",
            s,
            "must be a KMS key ARN, arn:aws:kms:<region>:<account>:key/<key id> (IAM policies cannot name aliases)",
            "find it with `aws kms describe-key --key-id <id or alias/name> --query KeyMetadata.Arn`",
        )
    if region is not None and found.group("region") != region:
        raise _fail(
            "--kms-key",
            s,
            f"is in {found.group('region')}, the bucket in {region} (SSE-KMS needs a key in the bucket's region)",
            f"use a key in {region}",
        )
    return s


def label_name(s: str) -> str:
    """A Prometheus label name."""
    s = _string("Prometheus label name", s)
    if not _LABEL_NAME.match(s):
        raise _fail(
            "Prometheus label name",
            s,
            "must match ^[a-zA-Z_][a-zA-Z0-9_]*$",
            "use a label such as cluster or cluster_id",
        )
    return s


def identity(s: str) -> str:
    """irsa or pod-identity."""
    from ampctl.versions import IDENTITIES

    if s not in IDENTITIES:
        raise AmpctlError(f"unknown identity {s!r}: expected irsa or pod-identity", "write irsa or pod-identity")
    return s


def cluster_spec(spec: ClusterSpec) -> ClusterSpec:
    """Every field of a spec, and the rules that tie fields together; returns the spec."""
    cluster_name(spec.cluster)
    region(spec.region)
    account(spec.account)
    oidc_issuer(spec.oidc_issuer)
    namespace(spec.namespace)
    release_name(spec.release)
    line = check_mode(spec.chart_version, spec.federated)
    if line.on_amp:  # 3.x has no workspace
        workspace_id(spec.workspace_id)
    check_identity(spec.chart_version, spec.identity)
    if spec.bucket is not None:
        bucket_name(spec.bucket)
    if spec.prom_cluster_id_label is not None:
        label_name(spec.prom_cluster_id_label)
    if spec.federated and spec.bucket is None:
        raise AmpctlError(
            f"cluster {spec.cluster}: federated mode needs an S3 bucket for the ETL data",
            "pass --bucket (every cluster of the fleet uses the primary's bucket)",
        )
    if spec.product_key_secret is not None:
        secret_name(spec.product_key_secret)
        if not (spec.federated and line.product_key):
            raise AmpctlError(
                f"cluster {spec.cluster}: a product key applies only to federated installs of chart 2.x",
                "drop the product key, or use --federated with a 2.x chart version",
            )
    return spec
