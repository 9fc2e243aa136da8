"""IAM and S3 policy documents as plain dicts, and an order-insensitive comparison for drift checks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ampctl.endpoints import arn, issuer_host, oidc_provider_arn

if TYPE_CHECKING:
    from ampctl.spec import ClusterSpec

VERSION = "2012-10-17"
STS_AUDIENCE = "sts.amazonaws.com"

# The AWS guide's S3 actions, split by the resource each one applies to.
BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads")
OBJECT_ACTIONS = (
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
)


def service_account_subject(namespace: str, service_account: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account}"


def trust_policy(spec: ClusterSpec, service_account: str) -> dict[str, Any]:
    """Let exactly one service account of the cluster assume the role through the cluster's OIDC provider."""
    host = issuer_host(spec.oidc_issuer)
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn(spec.account, spec.oidc_issuer, region=spec.region)},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{host}:sub": service_account_subject(spec.namespace, service_account),
                        f"{host}:aud": STS_AUDIENCE,
                    }
                },
            }
        ],
    }


def role_trust_policy(role_arn: str, *, tag_session: bool = False) -> dict[str, Any]:
    """Let exactly one IAM role (a cluster's role, in another account) assume this one: role chaining.

    `tag_session` when that role's sessions carry transitive session tags (EKS Pod Identity's): the next AssumeRole
    passes them on, and STS then also needs sts:TagSession in this trust (IAM User Guide, "Passing session tags in
    AWS STS", "Permissions required to add session tags" and "Chaining roles with session tags")."""
    return {
        "Version": VERSION,
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": _chain_actions(tag_session)}],
    }


def assume_role_policy(role_arn: str, *, tag_session: bool = False) -> dict[str, Any]:
    """Allow sts:AssumeRole on exactly one role (and sts:TagSession there, for a session with transitive tags)."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "AssumeWorkspaceRole",
                "Effect": "Allow",
                "Action": _chain_actions(tag_session),
                "Resource": role_arn,
            }
        ],
    }


def _chain_actions(tag_session: bool) -> str | list[str]:
    return ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole"


POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = ("sts:AssumeRole", "sts:TagSession")
# The session tags EKS Pod Identity puts on its AssumeRole (EKS User Guide, "Define permissions for EKS Pod
# Identities to assume roles based on tags", "List of session tags added by EKS Pod Identity"). The trust conditions
# on three of them, as the guide's "Create IAM role with trust policy required by EKS Pod Identity" shows.
TAG_CLUSTER_ARN = "eks-cluster-arn"
TAG_NAMESPACE = "kubernetes-namespace"
TAG_SERVICE_ACCOUNT = "kubernetes-service-account"


def cluster_arn(spec: ClusterSpec) -> str:
    return arn("eks", f"cluster/{spec.cluster}", region=spec.region, account=spec.account, regional=True)


def pod_identity_conditions(spec: ClusterSpec, service_account: str) -> dict[str, str]:
    """`aws:RequestTag/<tag>` -> the value EKS Pod Identity tags the session with for this cluster's ServiceAccount."""
    return {
        f"aws:RequestTag/{TAG_CLUSTER_ARN}": cluster_arn(spec),
        f"aws:RequestTag/{TAG_NAMESPACE}": spec.namespace,
        f"aws:RequestTag/{TAG_SERVICE_ACCOUNT}": service_account,
    }


def pod_identity_trust_policy(spec: ClusterSpec, service_account: str) -> dict[str, Any]:
    """Let EKS Pod Identity hand the role to one ServiceAccount of this cluster.

    The conditions are on the session tags EKS documents, not on aws:SourceArn/aws:SourceAccount: AWS's EKS guide
    documents neither key for pods.eks.amazonaws.com, and the source ARN, where sent, is the pod identity
    association's (arn:aws:eks:REGION:ACCOUNT:podidentityassociation/CLUSTER/a-ID), never the cluster's. The tags
    pin the cluster (its ARN holds account and region), the namespace and the ServiceAccount, whatever the
    association's id: one role per component, so one ServiceAccount per role."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": POD_IDENTITY_SERVICE},
                "Action": list(POD_IDENTITY_ACTIONS),
                "Condition": {"StringEquals": pod_identity_conditions(spec, service_account)},
            }
        ],
    }


def role_trust(spec: ClusterSpec, service_account: str) -> dict[str, Any]:
    """The trust policy of a component's role under the cluster's identity (IRSA or EKS Pod Identity)."""
    if spec.pod_identity:
        return pod_identity_trust_policy(spec, service_account)
    return trust_policy(spec, service_account)


def bucket_arn(bucket: str, *, region: str | None = None) -> str:
    """The bucket's ARN in the partition of its region (aws when None)."""
    return arn("s3", bucket, region=region)


# With SSE-KMS under a customer managed key, S3 calls KMS for its caller: PutObject needs kms:GenerateDataKey on the
# key, GetObject kms:Decrypt (S3 User Guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)"), and so does
# completing a multipart upload, which decrypts the parts (AWS Knowledge Center, "s3-multipart-kms-decrypt").
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def kms_via_s3(key_arn: str) -> str:
    """The kms:ViaService value of S3 in the key's region (KMS Developer Guide, "kms:ViaService": s3.<region>.
    amazonaws.com, with the .amazonaws.com suffix in every partition); the key is in the bucket's region."""
    return f"s3.{key_arn.split(':')[3]}.amazonaws.com"


def kms_statement(key_arn: str) -> dict[str, Any]:
    """Use of exactly one key (named by its key ARN: KMS Developer Guide, "Specifying KMS keys in IAM policy
    statements"), and only through S3 (kms:ViaService)."""
    return {
        "Sid": "KubecostEtlKey",
        "Effect": "Allow",
        "Action": list(KMS_ACTIONS),
        "Resource": key_arn,
        "Condition": {"StringEquals": {"kms:ViaService": kms_via_s3(key_arn)}},
    }


def s3_access_policy(bucket: str, *, region: str | None = None, kms_key: str | None = None) -> dict[str, Any]:
    """Read and write Kubecost's federated ETL in one bucket (and with the bucket's KMS key), and nothing else."""
    resource = bucket_arn(bucket, region=region)
    statements = [
        {"Sid": "KubecostEtlBucket", "Effect": "Allow", "Action": list(BUCKET_ACTIONS), "Resource": resource},
        {"Sid": "KubecostEtlObjects", "Effect": "Allow", "Action": list(OBJECT_ACTIONS), "Resource": f"{resource}/*"},
    ]
    if kms_key:
        statements.append(kms_statement(kms_key))
    return {"Version": VERSION, "Statement": statements}


def bucket_tls_policy(bucket: str, *, region: str | None = None) -> dict[str, Any]:
    """Bucket policy that refuses every request made without TLS."""
    resource = bucket_arn(bucket, region=region)
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [resource, f"{resource}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def to_json(document: Mapping[str, Any]) -> str:
    """The form ampctl writes and sends: two-space indent, trailing newline."""
    return json.dumps(document, indent=2) + "\n"


def parse_document(document: Mapping[str, Any] | str) -> Any:
    """A policy document from a dict, a JSON string, or the URL-encoded JSON string IAM returns."""
    if isinstance(document, Mapping):
        return dict(document)
    text = document.strip()
    if not text.startswith("{"):
        text = unquote(text)
    return json.loads(text)


def normalize(value: Any) -> Any:
    """A canonical form: lists sorted and de-duplicated, one-item lists as the item, scalars as strings."""
    if isinstance(value, Mapping):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        unique = {_key(item): item for item in (normalize(v) for v in value)}
        items = [unique[k] for k in sorted(unique)]
        return items[0] if len(items) == 1 else items
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def documents_equal(a: Mapping[str, Any] | str, b: Mapping[str, Any] | str) -> bool:
    """Whether two policy documents say the same thing, whatever AWS did to order and encoding.

    A document that cannot be parsed equals nothing, so drift detection repairs it.
    """
    try:
        left, right = parse_document(a), parse_document(b)
    except ValueError:
        return False
    return _key(normalize(left)) == _key(normalize(right))
