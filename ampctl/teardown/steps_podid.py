"""Teardown of EKS Pod Identity: the pod identity associations ampctl made for its ServiceAccounts."""

from __future__ import annotations

from typing import Any

from ampctl.aws import eks as eksapi
from ampctl.plan.step import Change, Step
from ampctl.teardown.run import TeardownRun


class DeletePodIdentityAssociations(Step[TeardownRun]):
    """Associations tagged managed-by=ampctl go ("not found" counts as done); others are left alone."""

    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("pod-identity-associations",)

    def __init__(self, run: TeardownRun, service_accounts: tuple[str, ...], namespace: str | None = None) -> None:
        self.service_accounts = service_accounts
        self.namespace = namespace or run.namespace
        self.title = f"pod identity associations of {self.namespace}/{{{','.join(service_accounts)}}}"
        self.ours: list[dict[str, Any]] = []

    def check(self, run: TeardownRun) -> Change:
        from botocore.exceptions import ClientError

        from ampctl.aws.errors import error_code

        try:
            found = eksapi.associations(run.client("eks"), run.cluster, self.namespace)
        except ClientError as exc:
            if error_code(exc) in {"AccessDeniedException", "AccessDenied"}:
                return Change.unchanged("not listed (no eks:ListPodIdentityAssociations: an IRSA set-up)")
            if error_code(exc) == "ResourceNotFoundException":
                return Change.unchanged("absent (no such cluster)")
            raise
        mine = [a for a in found if a.get("serviceAccount") in self.service_accounts]
        self.ours = [a for a in mine if eksapi.is_managed(a.get("tags"))]
        for other in (a for a in mine if not eksapi.is_managed(a.get("tags"))):
            run.leave(f"pod identity association {other['associationId']} ({eksapi.describe_association(other)})")
        if not self.ours:
            return Change.unchanged("absent")
        return Change.delete(", ".join(eksapi.describe_association(a) for a in self.ours))

    def apply(self, run: TeardownRun, change: Change) -> None:
        from ampctl.aws.errors import done_if_gone

        eks = run.client("eks")
        for association in self.ours:
            done_if_gone(
                eks.delete_pod_identity_association, clusterName=run.cluster, associationId=association["associationId"]
            )
