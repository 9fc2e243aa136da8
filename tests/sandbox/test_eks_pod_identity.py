"""The sandbox's EKS Pod Identity: associations and the agent add-on through boto3, with EKS's shapes and
errors, fault injection reaching them, and the credentials a pod obtains judged as EKS and STS would."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from ampctl.documents import pod_identity_trust_policy, trust_policy
from ampctl.sandbox.aws.emulator import AwsEmulator
from ampctl.sandbox.config import SandboxConfig
from ampctl.sandbox.kubecost.aws import NO_CREDENTIALS, CredentialError, Pod, pod_credentials
from ampctl.spec import ClusterSpec
from tests.sandbox.test_aws_emulator import REGION, client
from tests.sandbox.test_aws_unhappy import faults

ACCOUNT = "100000000007"
CLUSTER = "podid"
AUTO = "podid-auto"  # an EKS Auto Mode cluster
NS, SA = "kubecost", "kubecost-cost-analyzer-amp"
PROXY = "public.ecr.aws/aws-observability/aws-sigv4-proxy:1.11.1"


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsEmulator]:
    config = SandboxConfig(
        state_dir=tmp_path_factory.mktemp("podid"),
        account=ACCOUNT,
        region=REGION,
        clusters=(CLUSTER, AUTO),
        auto_mode_clusters=(AUTO,),
    )
    emulator = AwsEmulator(config)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def eks(aws: AwsEmulator) -> Iterator[object]:
    aws.reset()
    yield client(aws, "eks")
    faults(aws, {})


def _spec(aws: AwsEmulator, identity: str) -> ClusterSpec:
    issuer = aws.cluster_issuer(CLUSTER)
    return ClusterSpec(CLUSTER, REGION, ACCOUNT, issuer, "ws-x", identity=identity)


def _role(aws: AwsEmulator, trust: dict) -> str:  # type: ignore[type-arg]
    iam = client(aws, "iam")
    return str(iam.create_role(RoleName="podid-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_associations_have_eks_shapes_and_errors(aws: AwsEmulator, eks) -> None:  # noqa: ANN001
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    made = eks.create_pod_identity_association(
        clusterName=CLUSTER, namespace=NS, serviceAccount=SA, roleArn=role, tags={"managed-by": "ampctl"}
    )["association"]
    assert made["associationId"].startswith("a-") and made["roleArn"] == role
    assert made["associationArn"].startswith(f"arn:aws:eks:{REGION}:{ACCOUNT}:podidentityassociation/{CLUSTER}/")
    listed = eks.list_pod_identity_associations(clusterName=CLUSTER, namespace=NS, serviceAccount=SA)
    assert [a["associationId"] for a in listed["associations"]] == [made["associationId"]]
    assert "roleArn" not in listed["associations"][0]
    assert eks.list_pod_identity_associations(clusterName=CLUSTER, namespace="other")["associations"] == []
    with pytest.raises(ClientError) as exc:
        eks.create_pod_identity_association(clusterName=CLUSTER, namespace=NS, serviceAccount=SA, roleArn=role)
    assert _code(exc) == "ResourceInUseException"
    for bad in ({"namespace": "Not_A_Namespace"}, {"roleArn": "arn:aws:iam::1:user/x"}):
        with pytest.raises(ClientError) as exc:
            eks.create_pod_identity_association(
                **{"clusterName": CLUSTER, "namespace": NS, "serviceAccount": "x", "roleArn": role, **bad}
            )
        assert _code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        eks.list_pod_identity_associations(clusterName="nope")
    assert _code(exc) == "ResourceNotFoundException"
    updated = eks.update_pod_identity_association(
        clusterName=CLUSTER, associationId=made["associationId"], roleArn=role + "2"
    )["association"]
    assert updated["roleArn"] == role + "2"
    eks.delete_pod_identity_association(clusterName=CLUSTER, associationId=made["associationId"])
    with pytest.raises(ClientError) as exc:
        eks.describe_pod_identity_association(clusterName=CLUSTER, associationId=made["associationId"])
    assert _code(exc) == "ResourceNotFoundException"


def test_agent_add_on_is_creating_then_active(aws: AwsEmulator, eks) -> None:  # noqa: ANN001
    with pytest.raises(ClientError) as exc:
        eks.describe_addon(clusterName=CLUSTER, addonName="eks-pod-identity-agent")
    assert _code(exc) == "ResourceNotFoundException"
    assert eks.create_addon(clusterName=CLUSTER, addonName="eks-pod-identity-agent")["addon"]["status"] == "CREATING"
    with pytest.raises(ClientError) as exc:
        eks.create_addon(clusterName=CLUSTER, addonName="eks-pod-identity-agent")
    assert _code(exc) == "ResourceInUseException"
    assert eks.list_addons(clusterName=CLUSTER)["addons"] == ["eks-pod-identity-agent"]
    eks.get_waiter("addon_active").wait(
        clusterName=CLUSTER, addonName="eks-pod-identity-agent", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    assert eks.delete_addon(clusterName=CLUSTER, addonName="eks-pod-identity-agent")["addon"]["status"] == "DELETING"
    assert eks.list_addons(clusterName=CLUSTER)["addons"] == []


def test_faults_reach_the_pod_identity_calls(aws: AwsEmulator, eks) -> None:  # noqa: ANN001
    faults(aws, {"throttle_rate": 1.0})
    once = client(aws, "eks", attempts=1)
    with pytest.raises(ClientError) as exc:
        once.list_pod_identity_associations(clusterName=CLUSTER)
    assert _code(exc) == "ThrottlingException"
    faults(aws, {"lost_rate": 1.0})
    with pytest.raises(ClientError) as exc:
        once.create_pod_identity_association(
            clusterName=CLUSTER, namespace=NS, serviceAccount=SA, roleArn=f"arn:aws:iam::{ACCOUNT}:role/r"
        )
    assert _code(exc) == "ServerException"
    faults(aws, {})
    assert len(eks.list_pod_identity_associations(clusterName=CLUSTER)["associations"]) == 1  # made, answer lost


def _cluster_arn_trust(aws: AwsEmulator) -> dict:  # type: ignore[type-arg]
    """The trust ampctl wrote before: aws:SourceArn conditioned on the cluster's ARN."""
    statement = {
        **pod_identity_trust_policy(_spec(aws, "pod-identity"), SA)["Statement"][0],
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnEquals": {"aws:SourceArn": f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"},
        },
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_a_pod_gets_credentials_only_through_a_good_association(aws: AwsEmulator, eks) -> None:  # noqa: ANN001
    def creds(image: str | None = PROXY, cluster: str = CLUSTER, agent: bool = False) -> str:
        try:
            return pod_credentials(aws, cluster, Pod(NS, SA, "p-1", "u-1", agent), None, image).access_key
        except CredentialError as exc:
            return str(exc)

    role = _role(aws, pod_identity_trust_policy(_spec(aws, "pod-identity"), SA))
    assert creds() == NO_CREDENTIALS  # no association
    eks.create_pod_identity_association(clusterName=CLUSTER, namespace=NS, serviceAccount=SA, roleArn=role)
    assert creds() == NO_CREDENTIALS  # no agent
    assert creds(agent=True).startswith("ASIA")  # a self-managed agent DaemonSet runs
    eks.create_addon(clusterName=CLUSTER, addonName="eks-pod-identity-agent")
    eks.get_waiter("addon_active").wait(
        clusterName=CLUSTER, addonName="eks-pod-identity-agent", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    assert creds().startswith("ASIA")
    assert creds(None).startswith("ASIA")  # cost-model's own SDK knows Pod Identity
    assert creds("public.ecr.aws/aws-observability/aws-sigv4-proxy:1.9").startswith("ASIA")  # aws-sdk-go v1.54.19
    assert creds("public.ecr.aws/aws-observability/aws-sigv4-proxy:1.8") == NO_CREDENTIALS
    assert creds("public.ecr.aws/aws-observability/aws-sigv4-proxy:latest") == NO_CREDENTIALS
    iam = client(aws, "iam")
    for wrong in (
        trust_policy(_spec(aws, "irsa"), SA),  # the IRSA trust
        {**pod_identity_trust_policy(_spec(aws, "pod-identity"), SA), "Statement": [
            {**pod_identity_trust_policy(_spec(aws, "pod-identity"), SA)["Statement"][0], "Action": "sts:AssumeRole"}
        ]},  # no sts:TagSession
        pod_identity_trust_policy(
            ClusterSpec("other", REGION, ACCOUNT, "https://x", "ws-x", identity="pod-identity"), SA
        ),  # another cluster's
        pod_identity_trust_policy(_spec(aws, "pod-identity"), "kubecost-prometheus-server-amp"),  # another SA's
        _cluster_arn_trust(aws),  # EKS's source ARN is the association's, not the cluster's
    ):  # fmt: skip
        iam.update_assume_role_policy(RoleName="podid-role", PolicyDocument=json.dumps(wrong))
        assert "AccessDeniedException" in creds()


def test_auto_mode_clusters_have_pod_identity_built_in(aws: AwsEmulator, eks) -> None:  # noqa: ANN001
    cluster = eks.describe_cluster(name=AUTO)["cluster"]
    assert cluster["computeConfig"]["enabled"] is True
    assert cluster["storageConfig"] == {"blockStorage": {"enabled": True}}
    assert cluster["kubernetesNetworkConfig"]["elasticLoadBalancing"] == {"enabled": True}
    assert "computeConfig" not in eks.describe_cluster(name=CLUSTER)["cluster"]
    spec = ClusterSpec(AUTO, REGION, ACCOUNT, aws.cluster_issuer(AUTO), "ws-x", identity="pod-identity")
    role = _role(aws, pod_identity_trust_policy(spec, SA))
    eks.create_pod_identity_association(clusterName=AUTO, namespace=NS, serviceAccount=SA, roleArn=role)
    got = pod_credentials(aws, AUTO, Pod(NS, SA), None, PROXY)  # no add-on, no DaemonSet
    assert got.access_key.startswith("ASIA")


def test_pod_identity_session_tags_are_transitive_and_need_tag_session(aws: AwsEmulator, eks) -> None:  # noqa: ANN001
    """A chained AssumeRole from a Pod Identity session carries EKS's tags: the target's trust and the caller's
    policy must both allow sts:TagSession, with AWS's AccessDenied text otherwise."""
    from ampctl.documents import assume_role_policy, role_trust_policy
    from ampctl.sandbox.aws.session_tags import of_key
    from ampctl.sandbox.kubecost.aws import assumed_credentials

    iam = client(aws, "iam")
    role = _role(aws, pod_identity_trust_policy(_spec(aws, "pod-identity"), SA))
    eks.create_pod_identity_association(clusterName=CLUSTER, namespace=NS, serviceAccount=SA, roleArn=role)
    base = pod_credentials(aws, CLUSTER, Pod(NS, SA, "p-1", "u-1", True), None, PROXY)
    assert of_key(base.access_key).tags["kubernetes-pod-uid"] == "u-1"
    target = str(iam.create_role(RoleName="next", AssumeRolePolicyDocument=json.dumps(role_trust_policy(role)))[
        "Role"]["Arn"])  # fmt: skip
    iam.put_role_policy(RoleName="podid-role", PolicyName="a", PolicyDocument=json.dumps(assume_role_policy(target)))

    def chained() -> str:
        try:
            return assumed_credentials(aws, base, target, "chain").access_key
        except CredentialError as exc:
            return str(exc)

    denied = f"is not authorized to perform: sts:TagSession on resource: {target}"
    assert denied in chained()  # the trust allows sts:AssumeRole only
    iam.update_assume_role_policy(RoleName="next", PolicyDocument=json.dumps(role_trust_policy(role, tag_session=True)))
    assert chained().startswith("ASIA")  # same account, the trust names the role: its policy need not allow it
    account_trust = role_trust_policy(f"arn:aws:iam::{ACCOUNT}:root", tag_session=True)
    iam.update_assume_role_policy(RoleName="next", PolicyDocument=json.dumps(account_trust))
    assert denied in chained()  # the trust names the account: the caller's policy must allow sts:TagSession too
    policy = assume_role_policy(target, tag_session=True)
    iam.put_role_policy(RoleName="podid-role", PolicyName="a", PolicyDocument=json.dumps(policy))
    again = chained()
    assert again.startswith("ASIA")
    assert of_key(again).tags["eks-cluster-name"] == CLUSTER  # carried on: transitive


def test_ebs_csi_addon_provisions_once_active_with_a_role_that_may_create_volumes(aws: AwsEmulator, eks) -> None:  # noqa: ANN001
    """The EBS CSI add-on: CREATING then ACTIVE; the driver provisions only with an identity whose policy allows
    ec2:CreateVolume (AmazonEBSCSIDriverPolicy); `defaultStorageClass.enabled` is read from its configuration."""
    import ampctl.sandbox.aws.eks_pod_identity as podid
    from ampctl.sandbox.aws import ebs_csi

    spec = dataclasses.replace(_spec(aws, "irsa"), namespace="kube-system")
    iam = client(aws, "iam")
    trust = json.dumps(trust_policy(spec, "ebs-csi-controller-sa"))
    role = iam.create_role(RoleName="ebs-csi", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    made = eks.create_addon(
        clusterName=CLUSTER,
        addonName="aws-ebs-csi-driver",
        serviceAccountRoleArn=role,
        configurationValues=json.dumps({"defaultStorageClass": {"enabled": True}}),
    )["addon"]
    assert made["status"] == "CREATING" and made["serviceAccountRoleArn"] == role
    assert ebs_csi.default_class_requested(aws, CLUSTER)
    assert not ebs_csi.provisioning(aws, CLUSTER)  # not ACTIVE yet
    original = podid.ACTIVATION_SECONDS
    podid.ACTIVATION_SECONDS = 0.0
    try:
        assert eks.describe_addon(clusterName=CLUSTER, addonName="aws-ebs-csi-driver")["addon"]["status"] == "ACTIVE"
        assert ebs_csi.controller_role(aws, CLUSTER) == role
        assert not ebs_csi.provisioning(aws, CLUSTER)  # the role has no policy yet
        iam.attach_role_policy(RoleName="ebs-csi", PolicyArn=ebs_csi.POLICY_ARN)
        assert ebs_csi.provisioning(aws, CLUSTER)
    finally:
        podid.ACTIVATION_SECONDS = original
    assert sorted(eks.list_addons(clusterName=CLUSTER)["addons"]) == ["aws-ebs-csi-driver"]
    eks.delete_addon(clusterName=CLUSTER, addonName="aws-ebs-csi-driver")
    assert not ebs_csi.provisioning(aws, CLUSTER)
