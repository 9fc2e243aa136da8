"""Deterministic names for what ampctl creates, and the tags and labels that mark it as ampctl's."""

from __future__ import annotations

import hashlib
from typing import Any

from ampctl import validate
from ampctl.endpoints import arn
from ampctl.lines import costanalyzer as ca

MANAGED_BY_TAG = ("managed-by", "ampctl")
MANAGED_BY_LABEL = ("app.kubernetes.io/managed-by", "ampctl")
CLUSTER_TAG = "ampctl/cluster"
FLEET_TAG = "ampctl/fleet"

# The annotation that binds a ServiceAccount to its IAM role (IRSA).
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"

# AWS managed policies, by name; their ARNs through aws_policy_arn (the partition follows the region).
AMP_QUERY_POLICY = "AmazonPrometheusQueryAccess"
AMP_REMOTE_WRITE_POLICY = "AmazonPrometheusRemoteWriteAccess"
# The EBS CSI driver's permissions (EKS User Guide, "Amazon EBS CSI driver", step 1 "Create the IAM role": the AWS
# managed policy AmazonEBSCSIDriverPolicy, under the service-role/ path).
EBS_CSI_POLICY = "service-role/AmazonEBSCSIDriverPolicy"

# IRSA component -> the Kubernetes service account its role is for.
COMPONENTS = ca.COMPONENTS  # the AMP lines' components and ServiceAccounts

# Kubecost 3.x: one role per component whose pods use the bucket (ampctl.lines.v3 names their ServiceAccounts).
# Their own stem length, so that the 1.x/2.x role names above never change.
COMPONENTS_3X = ("finops-agent", "aggregator", "cluster-controller")

# A workspace in another account: per cluster, one role there per IRSA component (what it is for), which
# the component's role assumes; the inline policy on the component's role that allows exactly that.
WORKSPACE_ROLES = {"cost-analyzer": "amp-query", "prometheus-server": "amp-write"}
ASSUME_POLICY = "ampctl-assume-workspace-role"

IAM_NAME_MAX = 64
_HASH_LEN = 8
_ROLE_PREFIX = "kubecost-"
_POLICY_PREFIX = "kubecost-s3-federated-policy-"


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:_HASH_LEN]


def _fit(cluster: str, room: int) -> str:
    """The cluster name itself when it fits in `room` characters, else a prefix plus a stable hash."""
    if len(cluster) <= room:
        return cluster
    head = cluster[: room - _HASH_LEN - 1].rstrip("-_")
    return f"{head}-{_short_hash(cluster)}"


def role_name(cluster: str, component: str) -> str:
    """IAM role of one IRSA component, e.g. kubecost-prod-cost-analyzer (at most 64 characters).

    Both components of a cluster share one stem, shortened with a hash of the full
    cluster name when the longer role name would not fit.
    """
    group = tuple(COMPONENTS) if component in COMPONENTS else COMPONENTS_3X
    if component not in group:
        raise ValueError(f"unknown IRSA component {component!r}; expected one of {sorted(COMPONENTS)}")
    room = IAM_NAME_MAX - len(_ROLE_PREFIX) - 1 - max(len(c) for c in group)
    return f"{_ROLE_PREFIX}{_fit(cluster, room)}-{component}"


def ebs_csi_role_name(cluster: str) -> str:
    """The role ampctl makes for the EBS CSI driver's controller, e.g. kubecost-prod-ebs-csi (the cluster's stem)."""
    room = IAM_NAME_MAX - len(_ROLE_PREFIX) - 1 - max(len(c) for c in COMPONENTS)
    return f"{_ROLE_PREFIX}{_fit(cluster, room)}-ebs-csi"


def workspace_role_name(cluster: str, component: str) -> str:
    """The role in the workspace's account that `component` of `cluster` assumes, e.g. kubecost-prod-amp-query."""
    if component not in WORKSPACE_ROLES:
        raise ValueError(f"unknown IRSA component {component!r}; expected one of {sorted(WORKSPACE_ROLES)}")
    room = IAM_NAME_MAX - len(_ROLE_PREFIX) - 1 - max(len(p) for p in WORKSPACE_ROLES.values())
    return f"{_ROLE_PREFIX}{_fit(cluster, room)}-{WORKSPACE_ROLES[component]}"


def s3_policy_name(cluster: str) -> str:
    """The customer-managed S3 policy of one cluster: kubecost-s3-federated-policy-<cluster>."""
    return _POLICY_PREFIX + _fit(cluster, IAM_NAME_MAX - len(_POLICY_PREFIX))


def role_arn(account: str, name: str, *, region: str | None = None) -> str:
    """The ARN of an IAM role in the partition of `region` (aws when None)."""
    return arn("iam", f"role/{name}", region=region, account=account)


def policy_arn(account: str, name: str, *, region: str | None = None) -> str:
    """The ARN of a customer-managed IAM policy in the partition of `region` (aws when None)."""
    return arn("iam", f"policy/{name}", region=region, account=account)


def aws_policy_arn(name: str, *, region: str | None = None) -> str:
    """The ARN of an AWS managed policy, e.g. AmazonPrometheusQueryAccess, in the partition of `region`."""
    return arn("iam", f"policy/{name}", region=region, account="aws")


def default_bucket(account: str, region: str) -> str:
    """The bucket ampctl proposes for federated ETL: unique per account and region."""
    return validate.bucket_name(f"kubecost-etl-{account}-{region}")


def rule_namespace_name() -> str:
    """The AMP rule-groups namespace that holds Kubecost's recording rules."""
    return "kubecost-recording-rules"


def aws_tags(cluster: str | None, fleet: str | None) -> dict[str, str]:
    """Tags for every AWS resource ampctl creates."""
    tags = {MANAGED_BY_TAG[0]: MANAGED_BY_TAG[1]}
    if cluster:
        tags[CLUSTER_TAG] = cluster
    if fleet:
        tags[FLEET_TAG] = fleet
    return tags


def managed_labels() -> dict[str, str]:
    """Labels for every Kubernetes object ampctl creates."""
    return {MANAGED_BY_LABEL[0]: MANAGED_BY_LABEL[1]}


def is_managed(obj: dict[str, Any]) -> bool:
    """Whether a Kubernetes object (as a dict) carries ampctl's managed-by label."""
    key, value = MANAGED_BY_LABEL
    return bool((obj.get("metadata", {}).get("labels") or {}).get(key) == value)
