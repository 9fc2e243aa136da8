"""What the EKS Pod Identity agent obtains for a pod (eks-auth:AssumeRoleForPodIdentity), judged on the
emulator's state as EKS and STS would: an agent on the cluster (the add-on ACTIVE, a self-managed agent running, or
EKS Auto Mode, where it is built in), an association for the pod's ServiceAccount, and a role whose trust lets
pods.eks.amazonaws.com both assume it and tag the session, under its conditions.

EKS calls sts:AssumeRole with the six session tags of "Define permissions for EKS Pod Identities to assume roles
based on tags" ("List of session tags added by EKS Pod Identity"), all transitive ("Cross-account tags"), so the
trust judges `aws:RequestTag/*` and needs sts:TagSession too ("Create IAM role with trust policy required by EKS Pod
Identity"). As the calling service it also sets aws:SourceAccount and aws:SourceArn; the source ARN is the pod
identity association's ARN (arn:aws:eks:REGION:ACCOUNT:podidentityassociation/CLUSTER/a-ID), the form public
infrastructure code scopes with ArnLike (terraform, aws-samples) since AWS's EKS pages document neither key: an
assumption the sandbox makes so that a trust conditioned on the cluster ARN fails here as it fails on AWS."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from ampctl.sandbox.aws.iam_eval import Credentials, role_name
from ampctl.sandbox.aws.iam_policy import evaluate
from ampctl.sandbox.aws.session_tags import SessionTags, remember

if TYPE_CHECKING:
    from ampctl.sandbox.aws.emulator import AwsEmulator

POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
ACTIONS = ("sts:AssumeRole", "sts:TagSession")


class PodIdentityError(Exception):
    """`code` is NoAssociation, NoAgent (the pod has no credentials) or AccessDeniedException (trust refused)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def session_tags(cluster_arn: str, namespace: str, service_account: str, pod: str, pod_uid: str) -> SessionTags:
    tags = {
        "eks-cluster-arn": cluster_arn,
        "eks-cluster-name": cluster_arn.rsplit("/", 1)[-1],
        "kubernetes-namespace": namespace,
        "kubernetes-service-account": service_account,
        "kubernetes-pod-name": pod,
        "kubernetes-pod-uid": pod_uid,
    }
    return SessionTags(tags, frozenset(tags))


def assume_role_for_pod_identity(
    aws: AwsEmulator,
    cluster: str,
    namespace: str,
    service_account: str,
    pod: str = "",
    pod_uid: str = "",
    agent_running: bool = False,
) -> Credentials:
    """`agent_running`: a self-managed eks-pod-identity-agent DaemonSet runs on the cluster (the caller sees it)."""
    account, region = aws.config.account, aws.config.region
    state = aws.pod_identity
    association = state.association_for(account, region, cluster, namespace, service_account)
    if association is None:
        raise PodIdentityError("NoAssociation", f"no pod identity association for {namespace}/{service_account}")
    builtin = cluster in aws.config.auto_mode_clusters
    if not (builtin or agent_running or state.agent_status(account, region, cluster) == "ACTIVE"):
        raise PodIdentityError("NoAgent", "dial tcp 169.254.170.23:80: connect: connection refused")
    role_arn = str(association["roleArn"])
    denied = PodIdentityError(
        "AccessDeniedException",
        f"Not authorized to perform sts:AssumeRole and sts:TagSession on {role_arn} "
        f"for principal {POD_IDENTITY_SERVICE}",
    )
    iam = aws.client("iam")
    try:
        role = iam.get_role(RoleName=role_name(role_arn))["Role"]
    except iam.exceptions.NoSuchEntityException:
        raise denied from None
    if role["Arn"] != role_arn:
        raise denied
    from ampctl.documents import parse_document

    trust = parse_document(role.get("AssumeRolePolicyDocument") or {})
    cluster_arn = str(association["associationArn"]).split(":podidentityassociation/")[0] + f":cluster/{cluster}"
    tags = session_tags(cluster_arn, namespace, service_account, pod or f"{service_account}-0", pod_uid or _uid(pod))
    context = {
        "aws:SourceAccount": account,
        "aws:SourceArn": str(association["associationArn"]),
        **tags.context(),
    }
    principal = ("Service", POD_IDENTITY_SERVICE)
    if any(evaluate([trust], action, context=context, principal=principal) != "Allow" for action in ACTIONS):
        raise denied
    # EKS (pods.eks.amazonaws.com), not the operator, is the caller: the trust judged above is the whole decision,
    # so the session comes from moto's STS directly rather than through the emulator's sts:AssumeRole judge.
    from moto.sts.models import sts_backends

    session = f"eks-{cluster}-{service_account}"[:64]
    got = sts_backends[account]["global"].assume_role(
        region_name=region, role_session_name=session, role_arn=role_arn, policy="", duration=3600, external_id=""
    )
    remember(got.access_key_id, tags)
    return Credentials(got.access_key_id, got.secret_access_key, got.session_token)


def _uid(pod: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-pod:{pod}"))
