"""IAM in the cluster's account: the OIDC provider IRSA needs, the S3 policy and the two component roles."""

from __future__ import annotations

import contextlib
import json

from ampctl.aws import iam as iamapi
from ampctl.aws.errors import done_if_gone
from ampctl.errors import AmpctlError
from ampctl.plan.step import Action, Change, Step
from ampctl.provision.context import ClusterRun
from ampctl.provision.steps_role import EnsureRole, require_managed

POLICY_VERSION_LIMIT = 5


class CheckOidcProvider(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("oidc-provider",)

    def __init__(self, run: ClusterRun) -> None:
        self.title = f"IAM OIDC provider for cluster {run.cluster}"

    def check(self, run: ClusterRun) -> Change:
        from ampctl.endpoints import oidc_provider_arn

        issuer = run.oidc_issuer()
        arn = oidc_provider_arn(run.account, issuer, region=run.region)
        if iamapi.oidc_provider_exists(run.client("iam"), arn):
            return Change.unchanged(arn)
        if not run.request.create_oidc_provider:
            raise AmpctlError(
                f"no IAM OIDC provider for {issuer} (cluster {run.cluster}): IRSA cannot work",
                f"re-run with --create-oidc-provider, or `eksctl utils associate-iam-oidc-provider "
                f"--cluster {run.cluster} --region {run.region} --approve`",
            )
        return Change.create(issuer)

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.naming import aws_tags

        # EKS issuers are served behind certificates whose thumbprint IAM no longer checks
        # for well-known roots; the value is still required by the API.
        iam = run.client("iam")
        # Already there (a retried create whose first answer was lost, or another run): IRSA can use it.
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_open_id_connect_provider(
                Url=run.oidc_issuer(),
                ClientIDList=["sts.amazonaws.com"],
                ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
                Tags=iamapi.tag_list(aws_tags(run.cluster, run.request.fleet)),
            )


class EnsureS3Policy(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("s3-policy",)

    def __init__(self, run: ClusterRun) -> None:
        from ampctl.naming import policy_arn, s3_policy_name

        self.name = s3_policy_name(run.cluster)
        self.arn = policy_arn(run.account, self.name, region=run.region)
        key = f", KMS key {run.request.kms_key}" if run.request.kms_key else ""
        self.title = f"IAM policy {self.name} (bucket {run.request.bucket}{key})"

    def _desired(self, run: ClusterRun) -> dict[str, object]:
        from ampctl.documents import s3_access_policy

        assert run.request.bucket
        return s3_access_policy(run.request.bucket, region=run.region, kms_key=run.request.kms_key)

    def check(self, run: ClusterRun) -> Change:
        from ampctl.aws.races import reread_once

        return reread_once(lambda: self._read(run), f"IAM policy {self.name}")

    def _read(self, run: ClusterRun) -> Change:
        from ampctl.documents import documents_equal

        iam = run.client("iam")
        policy = iamapi.get_policy(iam, self.arn)
        if policy is None:
            return Change.create()
        require_managed(iamapi.tags_of_policy(iam, policy), "policy", self.name)
        current = iamapi.policy_document(iam, self.arn, policy["DefaultVersionId"])
        if not documents_equal(current, self._desired(run)):
            return Change.update("policy document drifted")
        return Change.unchanged()

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.naming import aws_tags

        iam = run.client("iam")
        document = json.dumps(self._desired(run))
        if change.action is Action.CREATE:
            try:
                iam.create_policy(
                    PolicyName=self.name,
                    PolicyDocument=document,
                    Description=f"Kubecost federated ETL access to s3://{run.request.bucket} (ampctl)",
                    Tags=iamapi.tag_list(aws_tags(run.cluster, run.request.fleet)),
                )
                return
            except iam.exceptions.EntityAlreadyExistsException:
                # Made since the plan (a lost answer, another run): adopt it only when it is ours.
                require_managed(iamapi.policy_tags(iam, self.arn), "policy", self.name)
            if self.check(run).action is Action.UNCHANGED:
                return
        versions = iam.list_policy_versions(PolicyArn=self.arn)["Versions"]
        old = sorted((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
        if len(versions) >= POLICY_VERSION_LIMIT and old:
            done_if_gone(iam.delete_policy_version, PolicyArn=self.arn, VersionId=old[0]["VersionId"])
        iam.create_policy_version(PolicyArn=self.arn, PolicyDocument=document, SetAsDefault=True)


class EnsureClusterRole(EnsureRole):
    """A component's role in the cluster's account, handed to its ServiceAccount by IRSA or EKS Pod Identity."""

    after: tuple[str, ...] = ("oidc-provider", "s3-policy")
    gives: tuple[str, ...] = ("roles",)

    def __init__(self, run: ClusterRun, component: str, service_account: str, policy_arns: list[str]) -> None:
        from ampctl.naming import role_arn, role_name

        self.component = self.output = component
        self.service_account = service_account
        self.name = role_name(run.cluster, component)
        self.arn = role_arn(run.account, self.name, region=run.region)
        self.policy_arns = set(policy_arns)
        self.title = f"IAM role {self.name} for serviceaccount {run.request.namespace}/{service_account}"

    def trust(self, run: ClusterRun) -> dict[str, object]:
        from ampctl.documents import role_trust

        return role_trust(run.spec(), self.service_account)

    @staticmethod
    def via(run: ClusterRun) -> str:
        return "EKS Pod Identity" if run.request.pod_identity else "IRSA"

    def description(self, run: ClusterRun) -> str:
        return f"Kubecost {self.component} on {run.cluster} via {self.via(run)} (ampctl)"

    def trust_drift(self, run: ClusterRun) -> str:
        return f"trust policy (to {self.via(run)})"
