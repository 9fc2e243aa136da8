"""Steps for IRSA: the OIDC provider prerequisite, the S3 policy and the two roles."""

from __future__ import annotations

import contextlib
import json
from functools import partial

from ampctl.aws import iam as iamapi
from ampctl.aws.errors import done_if_gone
from ampctl.errors import AmpctlError
from ampctl.plan.step import Action, Change, Step
from ampctl.pool import together
from ampctl.provision.context import ClusterRun

POLICY_VERSION_LIMIT = 5


def _require_managed(tags: list[dict[str, str]], kind: str, name: str) -> None:
    if not iamapi.is_managed(tags):
        raise AmpctlError(
            f"IAM {kind} {name} exists but is not managed by ampctl",
            "delete or rename it, or tag it managed-by=ampctl if it should be adopted",
        )


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
        self.title = f"IAM policy {self.name} (bucket {run.request.bucket})"

    def _desired(self, run: ClusterRun) -> dict[str, object]:
        from ampctl.documents import s3_access_policy

        assert run.request.bucket
        return s3_access_policy(run.request.bucket, region=run.region)

    def check(self, run: ClusterRun) -> Change:
        from ampctl.documents import documents_equal

        iam = run.client("iam")
        policy = iamapi.get_policy(iam, self.arn)
        if policy is None:
            return Change.create()
        _require_managed(iamapi.tags_of_policy(iam, policy), "policy", self.name)
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
                _require_managed(iamapi.policy_tags(iam, self.arn), "policy", self.name)
            if self.check(run).action is Action.UNCHANGED:
                return
        versions = iam.list_policy_versions(PolicyArn=self.arn)["Versions"]
        old = sorted((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
        if len(versions) >= POLICY_VERSION_LIMIT and old:
            done_if_gone(iam.delete_policy_version, PolicyArn=self.arn, VersionId=old[0]["VersionId"])
        iam.create_policy_version(PolicyArn=self.arn, PolicyDocument=document, SetAsDefault=True)


class EnsureIrsaRole(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("oidc-provider", "s3-policy")
    gives: tuple[str, ...] = ("roles",)

    def __init__(self, run: ClusterRun, component: str, service_account: str, policy_arns: list[str]) -> None:
        from ampctl.naming import role_arn, role_name

        self.component = component
        self.service_account = service_account
        self.name = role_name(run.cluster, component)
        self.arn = role_arn(run.account, self.name, region=run.region)
        self.policy_arns = set(policy_arns)
        self.title = f"IAM role {self.name} for serviceaccount {run.request.namespace}/{service_account}"

    def _trust(self, run: ClusterRun) -> dict[str, object]:
        from ampctl.documents import role_trust

        return role_trust(run.spec(), self.service_account)

    @staticmethod
    def via(run: ClusterRun) -> str:
        return "EKS Pod Identity" if run.request.pod_identity else "IRSA"

    def check(self, run: ClusterRun) -> Change:
        from ampctl.documents import documents_equal

        iam = run.client("iam")
        run.outputs.setdefault("roles", {})[self.component] = self.arn
        role = iamapi.get_role(iam, self.name)
        if role is None:
            return Change.create(", ".join(sorted(p.rsplit("/", 1)[-1] for p in self.policy_arns)))
        _require_managed(iamapi.tags_of_role(iam, role), "role", self.name)
        drift = []
        if not documents_equal(role["AssumeRolePolicyDocument"], self._trust(run)):
            drift.append(f"trust policy (to {self.via(run)})")
        attached = iamapi.attached_policy_arns(iam, self.name)
        missing, extra = self.policy_arns - attached, attached - self.policy_arns
        drift += [f"attach {p.rsplit('/', 1)[-1]}" for p in sorted(missing)]
        drift += [f"detach {p.rsplit('/', 1)[-1]}" for p in sorted(extra)]
        return Change.update(", ".join(drift)) if drift else Change.unchanged()

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.naming import aws_tags

        iam = run.client("iam")
        trust = json.dumps(self._trust(run))
        attached: set[str] | None = None
        created = False
        if change.action is Action.CREATE:
            try:
                iam.create_role(
                    RoleName=self.name,
                    AssumeRolePolicyDocument=trust,
                    Description=f"Kubecost {self.component} on {run.cluster} via {self.via(run)} (ampctl)",
                    Tags=iamapi.tag_list(aws_tags(run.cluster, run.request.fleet)),
                )
                created = True
                attached = set()  # created just now: nothing attached yet, no need to list
            except iam.exceptions.EntityAlreadyExistsException:
                # Made since the plan (a lost answer, another run): adopt it only when it is ours.
                _require_managed(iamapi.role_tags(iam, self.name), "role", self.name)
        if not created:
            from ampctl.documents import documents_equal

            role = iamapi.get_role(iam, self.name) or {}
            if not documents_equal(role.get("AssumeRolePolicyDocument", {}), self._trust(run)):
                iam.update_assume_role_policy(RoleName=self.name, PolicyDocument=trust)
        if attached is None:
            attached = iamapi.attached_policy_arns(iam, self.name)
        attach = [
            partial(iam.attach_role_policy, RoleName=self.name, PolicyArn=arn)
            for arn in sorted(self.policy_arns - attached)
        ]
        detach = [
            partial(done_if_gone, iam.detach_role_policy, RoleName=self.name, PolicyArn=arn)
            for arn in sorted(attached - self.policy_arns)
        ]
        together(attach + detach)
