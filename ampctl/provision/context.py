"""ClusterRun: one cluster's target, clients and the outputs steps hand to later steps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from ampctl.clients import ClusterClients
from ampctl.errors import AmpctlError
from ampctl.provision.request import ProvisionRequest

if TYPE_CHECKING:
    from ampctl.aws.session import AwsSession
    from ampctl.helm import Release
    from ampctl.spec import ClusterSpec
    from ampctl.target import Target

PENDING = "<pending>"


class ClusterRun(ClusterClients):
    target: Target

    def __init__(
        self,
        target: Target,
        aws: AwsSession,
        request: ProvisionRequest,
        *,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[str], None] = lambda message: None,
    ) -> None:
        super().__init__(target, aws, request.helm, request.workspace_role_arn)
        self.request = request
        self.sleep = sleep
        self.progress = progress
        self.workspace_id: str | None = request.workspace_id
        self.workspace_arn: str | None = None
        # The workspace as found before planning (by id or alias, with its tags), or None when there is none yet.
        self.found_workspace: dict[str, Any] | None = None
        self.workspace_tagged = False  # created by this run with the fleet-shape tags already on it
        self.issuer: str | None = None
        self.outputs: dict[str, Any] = {}
        self._leftovers: dict[str, list[dict[str, Any]]] = {}  # by namespace
        self._leftovers_lock = threading.Lock()
        self._workspace_ready: Future[None] | None = None
        self._releases: dict[tuple[str, str], Release | None] = {}  # by (namespace, name)
        self._releases_lock = threading.Lock()
        self._issuer_lock = threading.Lock()
        self._described: dict[str, Any] | None = None
        self._described_lock = threading.Lock()

    def hold_lease(self, wait: float = 0.0) -> None:
        self.hold_lease_for(self.request.namespace, wait)

    def oidc_issuer(self) -> str:
        with self._issuer_lock:
            return self._read_issuer()

    def described(self) -> dict[str, Any]:
        """The cluster as eks:DescribeCluster gives it, read once per run."""
        with self._described_lock:
            if self._described is None:
                from botocore.exceptions import ClientError

                try:
                    self._described = dict(self.client("eks").describe_cluster(name=self.cluster)["cluster"])
                except ClientError as exc:
                    if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                        raise AmpctlError(
                            f"EKS cluster {self.cluster} not found in {self.region}",
                            "check --context / --cluster / --region",
                        ) from exc
                    raise
            return self._described

    def auto_mode(self) -> bool:
        from ampctl.aws.eks import is_auto_mode

        return is_auto_mode(self.described())

    def _read_issuer(self) -> str:
        if self.issuer is None:
            cluster = self.described()
            issuer = cluster.get("identity", {}).get("oidc", {}).get("issuer")
            if not issuer:
                raise AmpctlError(f"EKS cluster {self.cluster} has no OIDC issuer", "enable IRSA for the cluster")
            self.issuer = str(issuer)
        return self.issuer

    def leftover_associations(self) -> list[dict[str, Any]]:
        """The pod identity associations ampctl made for its ServiceAccounts in the request's namespace (what a
        cluster moving back to IRSA removes), read once per namespace. An identity that may not list them (an
        IRSA-only set-up) has none to move back from."""
        from botocore.exceptions import ClientError

        from ampctl.aws import eks as eksapi
        from ampctl.aws.errors import error_code
        from ampctl.spec import SA_COST_ANALYZER, SA_PROMETHEUS

        namespace = self.request.namespace
        with self._leftovers_lock:
            if namespace not in self._leftovers:
                try:
                    found = eksapi.associations(self.client("eks"), self.cluster, namespace)
                except ClientError as exc:
                    if error_code(exc) not in {"AccessDeniedException", "AccessDenied", "ResourceNotFoundException"}:
                        raise
                    found = []
                ours = (SA_COST_ANALYZER, SA_PROMETHEUS)
                self._leftovers[namespace] = [
                    a for a in found if a.get("serviceAccount") in ours and eksapi.is_managed(a.get("tags"))
                ]
            return self._leftovers[namespace]

    def release(self, name: str, namespace: str) -> Release | None:
        """The helm release as deployed when the plan is made, read once per name and namespace."""
        with self._releases_lock:
            if (namespace, name) not in self._releases:
                self._releases[(namespace, name)] = self.read_release(name, namespace)
            return self._releases[(namespace, name)]

    def spec(self) -> ClusterSpec:
        return self.request.cluster_spec(
            cluster=self.cluster,
            region=self.region,
            account=self.account,
            oidc_issuer=self.oidc_issuer(),
            workspace_id=self.workspace_id or PENDING,
        )

    # The workspace may still be CREATING while IAM, S3 and Kubernetes steps run.
    def workspace_created(self, workspace_id: str, waiter: Callable[[], None]) -> None:
        self.workspace_id = workspace_id
        future: Future[None] = Future()

        def wait() -> None:
            try:
                waiter()
                future.set_result(None)
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
                future.set_exception(exc)

        threading.Thread(target=wait, daemon=True, name=f"wait-{workspace_id}").start()
        self._workspace_ready = future

    def wait_workspace(self) -> None:
        if self._workspace_ready is not None:
            self._workspace_ready.result()
