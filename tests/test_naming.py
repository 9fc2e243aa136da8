"""ARNs in the partition of the region, and the label and annotation names every layer shares."""

from __future__ import annotations

import pytest

from ampctl import naming
from ampctl.documents import bucket_tls_policy, s3_access_policy, trust_policy
from ampctl.endpoints import arn, oidc_provider_arn, partition
from ampctl.render.objects import service_account
from ampctl.spec import SA_COST_ANALYZER, ClusterSpec

ACCOUNT = "012345678901"


@pytest.mark.parametrize(
    ("region", "expected"),
    [("us-east-1", "aws"), ("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"),
     ("us-gov-west-1", "aws-us-gov"), ("us-gov-east-1", "aws-us-gov"), (None, "aws")],
)  # fmt: skip
def test_partition_follows_the_region(region: str | None, expected: str) -> None:
    assert partition(region) == expected


def test_arns_carry_the_partition_and_only_regional_ones_the_region() -> None:
    assert naming.role_arn(ACCOUNT, "r", region="cn-north-1") == f"arn:aws-cn:iam::{ACCOUNT}:role/r"
    assert naming.policy_arn(ACCOUNT, "p", region="us-gov-west-1") == f"arn:aws-us-gov:iam::{ACCOUNT}:policy/p"
    assert naming.role_arn(ACCOUNT, "r") == f"arn:aws:iam::{ACCOUNT}:role/r"
    assert naming.aws_policy_arn(naming.AMP_QUERY_POLICY, region="cn-north-1") == (
        "arn:aws-cn:iam::aws:policy/AmazonPrometheusQueryAccess"
    )
    assert (
        naming.aws_policy_arn(naming.AMP_REMOTE_WRITE_POLICY)
        == "arn:aws:iam::aws:policy/AmazonPrometheusRemoteWriteAccess"
    )
    assert arn("aps", "workspace/ws-1", region="eu-west-1", account=ACCOUNT, regional=True) == (
        f"arn:aws:aps:eu-west-1:{ACCOUNT}:workspace/ws-1"
    )
    issuer = "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC/"
    assert oidc_provider_arn(ACCOUNT, issuer, region="cn-north-1") == (
        f"arn:aws-cn:iam::{ACCOUNT}:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC"
    )


def test_documents_and_service_accounts_of_a_china_cluster_name_the_china_partition() -> None:
    spec = ClusterSpec(
        cluster="prod", region="cn-north-1", account=ACCOUNT, workspace_id="ws-1",
        oidc_issuer="https://oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC", federated=True, bucket="etl",
    )  # fmt: skip
    principal = trust_policy(spec, SA_COST_ANALYZER)["Statement"][0]["Principal"]["Federated"]
    assert principal.startswith(f"arn:aws-cn:iam::{ACCOUNT}:oidc-provider/")
    resources = [s["Resource"] for s in s3_access_policy("etl", region=spec.region)["Statement"]]
    assert resources == ["arn:aws-cn:s3:::etl", "arn:aws-cn:s3:::etl/*"]
    assert bucket_tls_policy("etl", region=spec.region)["Statement"][0]["Resource"] == [
        "arn:aws-cn:s3:::etl",
        "arn:aws-cn:s3:::etl/*",
    ]
    role = naming.role_arn(ACCOUNT, naming.role_name("prod", "cost-analyzer"), region=spec.region)
    account = service_account(spec, SA_COST_ANALYZER, role)
    assert account["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": role}
    assert naming.is_managed(account) and account["metadata"]["labels"] == naming.managed_labels()


def test_is_managed_needs_the_exact_label() -> None:
    assert naming.is_managed({"metadata": {"labels": {"app.kubernetes.io/managed-by": "ampctl"}}})
    assert not naming.is_managed({"metadata": {"labels": {"app.kubernetes.io/managed-by": "helm"}}})
    assert not naming.is_managed({"metadata": {"labels": None}})
    assert not naming.is_managed({})
