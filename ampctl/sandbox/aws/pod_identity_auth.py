"""What the EKS Pod Identity agent obtains for a pod (eks-auth:AssumeRoleForPodIdentity), judged on the
emulator's state as EKS and STS would: the agent add-on ACTIVE, an association for the pod's ServiceAccount,
and a role whose trust lets pods.eks.amazonaws.com both assume it and tag the session, under its conditions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ampctl.sandbox.aws.iam_eval import Credentials, role_name
from ampctl.sandbox.aws.iam_policy import evaluate

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


def assume_role_for_pod_identity(aws: AwsEmulator, cluster: str, namespace: str, service_account: str) -> Credentials:
    account, region = aws.config.account, aws.config.region
    state = aws.pod_identity
    association = state.association_for(account, region, cluster, namespace, service_account)
    if association is None:
        raise PodIdentityError("NoAssociation", f"no pod identity association for {namespace}/{service_account}")
    if state.agent_status(account, region, cluster) != "ACTIVE":
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
    from ampctl.sandbox.config import context_name

    trust = parse_document(role.get("AssumeRolePolicyDocument") or {})
    context = {
        "aws:SourceAccount": account,
        "aws:SourceArn": context_name(region, account, cluster),
        "aws:RequestTag/eks-cluster-name": cluster,
        "aws:RequestTag/kubernetes-namespace": namespace,
        "aws:RequestTag/kubernetes-service-account": service_account,
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
    return Credentials(got.access_key_id, got.secret_access_key, got.session_token)
