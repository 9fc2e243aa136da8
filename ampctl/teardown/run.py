"""TeardownRun: one cluster's target and clients, as the teardown steps see it."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ampctl.aws.session import AwsSession
    from ampctl.helm import Helm
    from ampctl.kube.client import Kube
    from ampctl.kube.lease import Lock
    from ampctl.target import Target


class TeardownRun:
    def __init__(self, target: Target | None, aws: AwsSession, namespace: str, release: str, helm: str | None) -> None:
        self.target = target
        self.aws = aws
        self.namespace = namespace
        self.release = release
        self.helm_exe = helm
        self.account = aws.account()
        self.left_alone: list[str] = []
        self._lock: Lock | None = None

    @property
    def cluster(self) -> str:
        return self.target.cluster if self.target else ""

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    @cached_property
    def kube(self) -> Kube:
        from ampctl.kube.client import Kube

        assert self.target is not None
        return Kube(self.target.kubeconfig, self.target.context)

    @cached_property
    def helm(self) -> Helm:
        from ampctl.helm import Helm

        assert self.target is not None
        return Helm(self.target.kubeconfig, self.target.context, self.helm_exe)

    def hold_lease(self) -> None:
        """Hold the cluster's Lease for this run: a second run on the same cluster is refused."""
        from ampctl.kube.lease import Lock

        if self.target is not None:
            self._lock = Lock(self.kube, self.cluster, self.namespace)
            self._lock.acquire()

    def release_lease(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def leave(self, what: str) -> None:
        self.left_alone.append(what)
