"""Whether the EBS CSI driver add-on can provision volumes on a sandbox cluster: the add-on is ACTIVE and its
controller gets credentials that allow creating volumes.

The controller runs as kube-system/ebs-csi-controller-sa and needs the permissions of the AWS managed policy
AmazonEBSCSIDriverPolicy, by IRSA (the add-on's serviceAccountRoleArn) or EKS Pod Identity (an association for that
ServiceAccount): EKS User Guide, "Amazon EBS CSI driver", Required IAM permissions, and "Store Kubernetes volumes with
Amazon EBS" (step 1, create the IAM role). Judged here as the driver's first call would be: ec2:CreateVolume allowed.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from ampctl.sandbox.aws.eks_pod_identity import EBS_CSI_ADDON

if TYPE_CHECKING:
    from ampctl.sandbox.aws.emulator import AwsEmulator

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "ebs-csi-controller-sa"
POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
PROBE_ACTION = "ec2:CreateVolume"


def _allows(documents: list[dict[str, Any]], action: str) -> bool:
    for document in documents:
        statements = document.get("Statement") or []
        for statement in statements if isinstance(statements, list) else [statements]:
            actions = statement.get("Action") or []
            actions = [actions] if isinstance(actions, str) else actions
            if statement.get("Effect") == "Allow" and any(fnmatch.fnmatchcase(action, a) for a in actions):
                return True
    return False


def controller_role(aws: AwsEmulator, cluster: str) -> str | None:
    """The role the driver's controller gets credentials for (None: no identity, or none it can assume)."""
    from ampctl.sandbox.aws.iam_eval import WebIdentityError, assume_role_with_web_identity
    from ampctl.sandbox.aws.pod_identity_auth import PodIdentityError, assume_role_for_pod_identity

    config = aws.config
    addon = aws.pod_identity.addon(config.account, config.region, cluster, EBS_CSI_ADDON)
    if addon is None:
        return None
    role = addon.get("serviceAccountRoleArn")
    try:
        if role:  # the add-on annotates the ServiceAccount: IRSA comes first in the SDK's chain
            assume_role_with_web_identity(aws, role, aws.cluster_issuer(cluster), NAMESPACE, SERVICE_ACCOUNT)
            return str(role)
        assume_role_for_pod_identity(aws, cluster, NAMESPACE, SERVICE_ACCOUNT)
    except (WebIdentityError, PodIdentityError):
        return None
    association = aws.pod_identity.association_for(config.account, config.region, cluster, NAMESPACE, SERVICE_ACCOUNT)
    return str(association["roleArn"]) if association else None


def provisioning(aws: AwsEmulator, cluster: str) -> bool:
    """The add-on is ACTIVE and its controller's role may create volumes."""
    from ampctl.sandbox.aws.iam_eval import role_policies

    config = aws.config
    if aws.pod_identity.addon_status(config.account, config.region, cluster, EBS_CSI_ADDON) != "ACTIVE":
        return False
    role = controller_role(aws, cluster)
    return role is not None and _allows(role_policies(aws, role), PROBE_ACTION)


def default_class_requested(aws: AwsEmulator, cluster: str) -> bool:
    """The add-on's configuration asks for its default StorageClass (`defaultStorageClass.enabled`, add-on v1.31 and
    later; kubernetes-sigs/aws-ebs-csi-driver charts/aws-ebs-csi-driver/templates/ebs-csi-default-sc.yaml renders
    StorageClass ebs-csi-default-sc, provisioner ebs.csi.aws.com, marked default)."""
    import json

    config = aws.config
    addon = aws.pod_identity.addon(config.account, config.region, cluster, EBS_CSI_ADDON) or {}
    try:
        values = json.loads(addon.get("configurationValues") or "{}")
    except ValueError:
        return False
    return bool(isinstance(values, dict) and (values.get("defaultStorageClass") or {}).get("enabled"))
