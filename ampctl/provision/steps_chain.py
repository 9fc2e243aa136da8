"""A workspace in another account (A): per cluster and IRSA component, a role in A with AMP's managed policy that
trusts exactly the component's role in the cluster's account (B), and on that B role one inline policy allowing
sts:AssumeRole on exactly that A role. The A role is made through the role ampctl assumes in A."""

from __future__ import annotations

import json
from functools import partial

from ampctl.aws import iam as iamapi
from ampctl.aws.errors import done_if_gone
from ampctl.plan.step import Action, Change, Step
from ampctl.pool import together
from ampctl.provision.context import ClusterRun
from ampctl.provision.steps_iam import _require_managed


def _short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


class EnsureWorkspaceRole(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("roles",)  # IAM refuses a trust policy naming a role that does not exist yet
    gives: tuple[str, ...] = ("workspace-roles",)

    def __init__(self, run: ClusterRun, component: str, policy_arns: list[str]) -> None:
        from ampctl.naming import role_arn, role_name, workspace_role_name

        account = run.workspace_account or ""
        self.component = component
        self.name = workspace_role_name(run.cluster, component)
        self.arn = role_arn(account, self.name, region=run.region)
        self.trusted = role_arn(run.account, role_name(run.cluster, component), region=run.region)
        self.policy_arns = set(policy_arns)
        self.title = f"IAM role {self.name} in workspace account {account}, assumed by {_short(self.trusted)}"

    def _trust(self) -> dict[str, object]:
        from ampctl.documents import role_trust_policy

        return role_trust_policy(self.trusted)

    def check(self, run: ClusterRun) -> Change:
        from ampctl.documents import documents_equal

        iam = run.workspace_client("iam")
        run.outputs.setdefault("roles", {})[f"{self.component}-workspace"] = self.arn
        role = iamapi.get_role(iam, self.name)
        if role is None:
            return Change.create(", ".join(sorted(_short(p) for p in self.policy_arns)))
        _require_managed(iamapi.tags_of_role(iam, role), "role", f"{self.name} (account {run.workspace_account})")
        drift = [] if documents_equal(role["AssumeRolePolicyDocument"], self._trust()) else ["trust policy"]
        attached = iamapi.attached_policy_arns(iam, self.name)
        drift += [f"attach {_short(p)}" for p in sorted(self.policy_arns - attached)]
        drift += [f"detach {_short(p)}" for p in sorted(attached - self.policy_arns)]
        return Change.update(", ".join(drift)) if drift else Change.unchanged()

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.documents import documents_equal
        from ampctl.naming import aws_tags

        iam = run.workspace_client("iam")
        trust = json.dumps(self._trust())
        attached: set[str] | None = None
        if change.action is Action.CREATE:
            try:
                iam.create_role(
                    RoleName=self.name,
                    AssumeRolePolicyDocument=trust,
                    Description=f"Kubecost {self.component} on {run.cluster} (account {run.account}) to AMP (ampctl)",
                    Tags=iamapi.tag_list(aws_tags(run.cluster, run.request.fleet)),
                )
                attached = set()
            except iam.exceptions.EntityAlreadyExistsException:
                # Made since the plan (a lost answer, another run): adopt it only when it is ours.
                _require_managed(iamapi.role_tags(iam, self.name), "role", self.name)
        if attached is None:
            role = iamapi.get_role(iam, self.name) or {}
            if not documents_equal(role.get("AssumeRolePolicyDocument", {}), self._trust()):
                iam.update_assume_role_policy(RoleName=self.name, PolicyDocument=trust)
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


class EnsureAssumePolicy(Step[ClusterRun]):
    """The inline policy on the cluster's role: sts:AssumeRole on exactly its role in the workspace's account."""

    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("roles",)

    def __init__(self, run: ClusterRun, component: str) -> None:
        from ampctl.naming import ASSUME_POLICY, role_arn, role_name, workspace_role_name

        self.role = role_name(run.cluster, component)
        account = run.workspace_account or ""
        self.target = role_arn(account, workspace_role_name(run.cluster, component), region=run.region)
        self.policy = ASSUME_POLICY
        self.title = f"IAM policy {ASSUME_POLICY} on role {self.role}: may assume {_short(self.target)}"

    def _desired(self) -> dict[str, object]:
        from ampctl.documents import assume_role_policy

        return assume_role_policy(self.target)

    def check(self, run: ClusterRun) -> Change:
        from ampctl.documents import documents_equal

        iam = run.client("iam")
        if iamapi.get_role(iam, self.role) is None:
            return Change.create("with the role")
        try:
            current = iam.get_role_policy(RoleName=self.role, PolicyName=self.policy)["PolicyDocument"]
        except iam.exceptions.NoSuchEntityException:
            return Change.create()
        return Change.unchanged() if documents_equal(current, self._desired()) else Change.update("document drifted")

    def apply(self, run: ClusterRun, change: Change) -> None:
        # PutRolePolicy replaces the document: safe to repeat after a lost answer.
        run.client("iam").put_role_policy(
            RoleName=self.role, PolicyName=self.policy, PolicyDocument=json.dumps(self._desired())
        )
