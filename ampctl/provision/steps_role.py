"""One IAM role ampctl manages: its trust policy and its attached managed policies, found, created (adopted when
ours after a lost answer), and repaired when drifted. The cluster's roles and the roles in the workspace's
account are both this step, each with its own trust, IAM client and words."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from ampctl.aws import iam as iamapi
from ampctl.aws.errors import done_if_gone
from ampctl.endpoints import name_of
from ampctl.errors import AmpctlError
from ampctl.plan.step import Action, Change, Step
from ampctl.pool import known, outcome, together
from ampctl.provision.context import ClusterRun

# A role created moments ago is not yet valid as a principal everywhere in IAM (IAM User Guide, "Troubleshoot general
# issues", "Changes that I make are not always immediately visible"): a trust naming it is refused meanwhile with
# MalformedPolicyDocument "Invalid principal in policy" (public reports; the sandbox emulates it). ampctl creates each
# cluster role and names it in the workspace account's trust right away, so such a write is retried for a while.
PRINCIPAL_WAIT_SECONDS = 60.0
PRINCIPAL_POLL_SECONDS = 2.0


def _while_propagating(run: ClusterRun, call: Callable[..., Any], **kwargs: Any) -> Any:
    from botocore.exceptions import ClientError

    deadline = time.monotonic() + PRINCIPAL_WAIT_SECONDS
    while True:
        try:
            return call(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            propagating = error.get("Code") == "MalformedPolicyDocument" and "Invalid principal" in str(
                error.get("Message", "")
            )
            if not propagating or time.monotonic() >= deadline:
                raise
            run.progress(f"{run.cluster}: IAM does not know the trusted role yet (just created?): retrying")
            run.sleep(PRINCIPAL_POLL_SECONDS)


def require_managed(tags: list[dict[str, str]], kind: str, name: str) -> None:
    if not iamapi.is_managed(tags):
        raise AmpctlError(
            f"IAM {kind} {name} exists but is not managed by ampctl",
            "delete or rename it, or tag it managed-by=ampctl if it should be adopted",
        )


class EnsureRole(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ()
    name: str
    arn: str
    output: str  # the key under the run's "roles" output
    policy_arns: set[str]

    # what differs from one kind of role to another

    def iam(self, run: ClusterRun) -> Any:
        return run.client("iam")

    def trust(self, run: ClusterRun) -> dict[str, object]:
        raise NotImplementedError

    def description(self, run: ClusterRun) -> str:
        raise NotImplementedError

    def owned_name(self, run: ClusterRun) -> str:
        """The role as a refusal to adopt it names it."""
        return self.name

    def trust_drift(self, run: ClusterRun) -> str:
        return "trust policy"

    # the same for every role

    def check(self, run: ClusterRun) -> Change:
        from ampctl.aws.races import reread_once

        run.outputs.setdefault("roles", {})[self.output] = self.arn
        return reread_once(partial(self._read, run), f"IAM role {self.name}")

    def _read(self, run: ClusterRun) -> Change:
        from ampctl.documents import documents_equal

        iam = self.iam(run)
        # The role and its attachments at once: the attachments of a role that turns out missing are not looked at.
        reads: list[Callable[[], Any]] = [
            partial(iamapi.get_role, iam, self.name),
            partial(outcome, iamapi.attached_policy_arns, iam, self.name),
        ]
        role, listed = together(reads)
        if role is None:
            return Change.create(", ".join(sorted(name_of(p) for p in self.policy_arns)))
        require_managed(iamapi.tags_of_role(iam, role), "role", self.owned_name(run))
        drift = []
        if not documents_equal(role["AssumeRolePolicyDocument"], self.trust(run)):
            drift.append(self.trust_drift(run))
        attached = known(listed)
        drift += [f"attach {name_of(p)}" for p in sorted(self.policy_arns - attached)]
        drift += [f"detach {name_of(p)}" for p in sorted(attached - self.policy_arns)]
        return Change.update(", ".join(drift)) if drift else Change.unchanged()

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.documents import documents_equal
        from ampctl.naming import aws_tags

        iam = self.iam(run)
        trust = json.dumps(self.trust(run))
        attached: set[str] | None = None
        if change.action is Action.CREATE:
            try:
                _while_propagating(
                    run,
                    iam.create_role,
                    RoleName=self.name,
                    AssumeRolePolicyDocument=trust,
                    Description=self.description(run),
                    Tags=iamapi.tag_list(aws_tags(run.cluster, run.request.fleet)),
                )
                attached = set()  # created just now: nothing attached yet, no need to list
            except iam.exceptions.EntityAlreadyExistsException:
                # Made since the plan (a lost answer, another run): adopt it only when it is ours.
                require_managed(iamapi.role_tags(iam, self.name), "role", self.owned_name(run))
        if attached is None:
            role = iamapi.get_role(iam, self.name) or {}
            if not documents_equal(role.get("AssumeRolePolicyDocument", {}), self.trust(run)):
                _while_propagating(run, iam.update_assume_role_policy, RoleName=self.name, PolicyDocument=trust)
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
