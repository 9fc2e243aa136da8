"""TeardownRun: one cluster's target and clients, as the teardown steps see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ampctl.clients import ClusterClients

if TYPE_CHECKING:
    from ampctl.aws.session import AwsSession
    from ampctl.target import Target


class TeardownRun(ClusterClients):
    def __init__(
        self,
        target: Target | None,
        aws: AwsSession,
        namespace: str,
        release: str,
        helm: str | None,
        workspace_role_arn: str | None = None,
    ) -> None:
        super().__init__(target, aws, helm, workspace_role_arn)
        self.namespace = namespace
        self.release = release
        self.left_alone: list[str] = []
        self.out_of_reach: list[str] = []  # made by ampctl in an account this run has no role in

    def hold_lease(self, wait: float = 0.0) -> None:
        self.hold_lease_for(self.namespace, wait)

    def leave(self, what: str) -> None:
        self.left_alone.append(what)

    def cannot_reach(self, what: str) -> None:
        self.out_of_reach.append(what)
