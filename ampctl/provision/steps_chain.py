"""A workspace in another account (A): per cluster and component, a role in A with AMP's managed policy that
trusts exactly the component's role in the cluster's account (B), and on that B role one inline policy allowing
sts:AssumeRole on exactly that A role. The A role is made through the role ampctl assumes in A.

Under EKS Pod Identity both also allow sts:TagSession: EKS's session tags are transitive ("Define permissions for
EKS Pod Identities to assume roles based on tags", "Cross-account tags"), so the B role's session passes them on
to the AssumeRole of the A role, which STS then judges as tagging the session. The association's targetRoleArn
(EKS assuming the A role itself) is not used: CreatePodIdentityAssociation gained it in June 2025 and the botocore
that ampctl's boto3>=1.34 allows lacks it (botocore 1.34.0's eks model), and disableSessionTags likewise."""

from __future__ import annotations

import json
from typing import Any

from ampctl.aws import iam as iamapi
from ampctl.endpoints import name_of
from ampctl.plan.step import Change, Step
from ampctl.provision.context import ClusterRun
from ampctl.provision.steps_role import EnsureRole


class EnsureWorkspaceRole(EnsureRole):
    after: tuple[str, ...] = ("roles",)  # IAM refuses a trust policy naming a role that does not exist yet
    gives: tuple[str, ...] = ("workspace-roles",)

    def __init__(self, run: ClusterRun, component: str, policy_arns: list[str]) -> None:
        from ampctl.naming import role_arn, role_name, workspace_role_name

        account = run.workspace_account or ""
        self.component = component
        self.output = f"{component}-workspace"
        self.name = workspace_role_name(run.cluster, component)
        self.arn = role_arn(account, self.name, region=run.region)
        self.trusted = role_arn(run.account, role_name(run.cluster, component), region=run.region)
        self.policy_arns = set(policy_arns)
        self.title = f"IAM role {self.name} in workspace account {account}, assumed by {name_of(self.trusted)}"

    def iam(self, run: ClusterRun) -> Any:
        return run.workspace_client("iam")

    def trust(self, run: ClusterRun) -> dict[str, object]:
        from ampctl.documents import role_trust_policy

        # Under EKS Pod Identity the cluster role's session carries EKS's transitive tags into this AssumeRole.
        return role_trust_policy(self.trusted, tag_session=run.request.pod_identity)

    def description(self, run: ClusterRun) -> str:
        return f"Kubecost {self.component} on {run.cluster} (account {run.account}) to AMP (ampctl)"

    def owned_name(self, run: ClusterRun) -> str:
        return f"{self.name} (account {run.workspace_account})"


class EnsureAssumePolicy(Step[ClusterRun]):
    """The inline policy on the cluster's role: sts:AssumeRole on exactly its role in the workspace's account."""

    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("roles",)
    gives: tuple[str, ...] = ("assume-policies",)

    def __init__(self, run: ClusterRun, component: str) -> None:
        from ampctl.naming import ASSUME_POLICY, role_arn, role_name, workspace_role_name

        self.role = role_name(run.cluster, component)
        account = run.workspace_account or ""
        self.target = role_arn(account, workspace_role_name(run.cluster, component), region=run.region)
        self.policy = ASSUME_POLICY
        self.title = f"IAM policy {ASSUME_POLICY} on role {self.role}: may assume {name_of(self.target)}"

    def _desired(self, run: ClusterRun) -> dict[str, object]:
        from ampctl.documents import assume_role_policy

        return assume_role_policy(self.target, tag_session=run.request.pod_identity)

    def check(self, run: ClusterRun) -> Change:
        from ampctl.documents import documents_equal

        iam = run.client("iam")
        if iamapi.get_role(iam, self.role) is None:
            return Change.create("with the role")
        try:
            current = iam.get_role_policy(RoleName=self.role, PolicyName=self.policy)["PolicyDocument"]
        except iam.exceptions.NoSuchEntityException:
            return Change.create()
        return Change.unchanged() if documents_equal(current, self._desired(run)) else Change.update("document drifted")

    def apply(self, run: ClusterRun, change: Change) -> None:
        # PutRolePolicy replaces the document: safe to repeat after a lost answer.
        run.client("iam").put_role_policy(
            RoleName=self.role, PolicyName=self.policy, PolicyDocument=json.dumps(self._desired(run))
        )
