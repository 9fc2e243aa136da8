"""One cluster's target and the clients every command uses on it: AWS (one per service), Kubernetes and Helm.

Provisioning, teardown, doctor and status build on it. Each client is made once, on first use, and safely
from several threads at once.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ampctl.aws.session import AwsSession
    from ampctl.helm import Helm, Release
    from ampctl.kube.client import Kube
    from ampctl.kube.lease import Lock
    from ampctl.target import Target


class ClusterClients:
    def __init__(
        self,
        target: Target | None,
        aws: AwsSession,
        helm_executable: str | None = None,
        workspace_role_arn: str | None = None,
    ) -> None:
        self.target = target
        self.aws = aws
        self.workspace_role_arn = workspace_role_arn
        self.helm_executable = helm_executable
        self._kube_lock = threading.Lock()
        self._helm_lock = threading.Lock()
        self._kube: Kube | None = None
        self._helm: Helm | None = None
        self._leases: dict[str, Lock] = {}  # by namespace

    @property
    def cluster(self) -> str:
        return self.target.cluster if self.target else ""

    @property
    def region(self) -> str:
        return self.target.region if self.target else self.aws.region

    @property
    def account(self) -> str:
        return self.aws.account()

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    @property
    def workspace_aws(self) -> AwsSession:
        """Where the AMP workspace lives: the cluster's account, or the role assumed in the workspace's account."""
        return self.aws.assumed(self.workspace_role_arn)

    def workspace_client(self, service: str) -> Any:
        """A client in the workspace's account (the cluster's own when the workspace is there too)."""
        return self.workspace_aws.client(service)

    @property
    def workspace_account(self) -> str | None:
        """The workspace's account when it is not the cluster's."""
        from ampctl.endpoints import account_of

        return account_of(self.workspace_role_arn) if self.workspace_role_arn else None

    def _target(self) -> Target:
        if self.target is None:
            raise ValueError("no cluster: this run acts on the account only")
        return self.target

    @property
    def kube(self) -> Kube:
        with self._kube_lock:
            if self._kube is None:
                from ampctl.kube.client import Kube

                target = self._target()
                self._kube = Kube(target.kubeconfig, target.context)
            return self._kube

    @property
    def helm(self) -> Helm:
        with self._helm_lock:
            if self._helm is None:
                from ampctl.helm import Helm

                target = self._target()
                self._helm = Helm(target.kubeconfig, target.context, self.helm_executable)
            return self._helm

    def read_release(self, name: str, namespace: str) -> Release | None:
        """The release as deployed: status, chart version, revision and user-supplied values. Read from helm's
        storage (one Kubernetes read) under helm's default driver, else by helm itself."""
        from ampctl.helm import Release
        from ampctl.kube import helmstore

        if not helmstore.readable():
            return self.helm.release(name, namespace)
        found = helmstore.newest(self.kube, name, namespace)
        if found is None:
            return None
        return Release(
            name=name,
            namespace=namespace,
            status=str((found.get("info") or {}).get("status") or "unknown"),
            chart_version=str(((found.get("chart") or {}).get("metadata") or {}).get("version") or ""),
            revision=int(found.get("version") or 0),
            values=dict(found.get("config") or {}),
        )

    def hold_lease_for(self, namespace: str, wait: float = 0.0) -> None:
        """Hold the cluster's Lease for this run (once per namespace): a second run on the same cluster is refused,
        or waits up to `wait` seconds for it."""
        from ampctl.kube.lease import Lock

        if self.target is not None and namespace not in self._leases:
            lease = Lock(self.kube, self.cluster, namespace)
            lease.acquire(wait)
            self._leases[namespace] = lease

    def release_lease(self) -> None:
        while self._leases:
            _, lease = self._leases.popitem()
            lease.release()
