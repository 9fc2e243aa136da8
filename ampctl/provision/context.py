"""ClusterRun: one cluster's target, clients and the outputs steps hand to later steps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ampctl.errors import AmpctlError
from ampctl.provision.request import ProvisionRequest

if TYPE_CHECKING:
    from ampctl.aws.session import AwsSession
    from ampctl.helm import Helm
    from ampctl.kube.client import Kube
    from ampctl.kube.lease import Lock
    from ampctl.spec import ClusterSpec
    from ampctl.target import Target

PENDING = "<pending>"


class ClusterRun:
    def __init__(
        self,
        target: Target,
        aws: AwsSession,
        request: ProvisionRequest,
        *,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.target = target
        self.aws = aws
        self.request = request
        self.sleep = sleep
        self.progress = progress
        self.account = aws.account()
        self.workspace_id: str | None = request.workspace_id
        self.workspace_arn: str | None = None
        self.issuer: str | None = None
        self.outputs: dict[str, Any] = {}
        self._workspace_ready: Future[None] | None = None
        self._lock: Lock | None = None

    @property
    def cluster(self) -> str:
        return self.target.cluster

    @property
    def region(self) -> str:
        return self.target.region

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    @cached_property
    def kube(self) -> Kube:
        from ampctl.kube.client import Kube

        return Kube(self.target.kubeconfig, self.target.context)

    @cached_property
    def helm(self) -> Helm:
        from ampctl.helm import Helm

        return Helm(self.target.kubeconfig, self.target.context, self.request.helm)

    def hold_lease(self) -> None:
        """Hold the cluster's Lease for this run: a second run on the same cluster is refused."""
        from ampctl.kube.lease import Lock

        self._lock = Lock(self.kube, self.cluster, self.request.namespace)
        self._lock.acquire()

    def release_lease(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def oidc_issuer(self) -> str:
        if self.issuer is None:
            from botocore.exceptions import ClientError

            try:
                cluster = self.client("eks").describe_cluster(name=self.cluster)["cluster"]
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                    raise AmpctlError(
                        f"EKS cluster {self.cluster} not found in {self.region}",
                        "check --context / --cluster / --region",
                    ) from exc
                raise
            issuer = cluster.get("identity", {}).get("oidc", {}).get("issuer")
            if not issuer:
                raise AmpctlError(f"EKS cluster {self.cluster} has no OIDC issuer", "enable IRSA for the cluster")
            self.issuer = str(issuer)
        return self.issuer

    def spec(self) -> ClusterSpec:
        from ampctl.spec import PRODUCT_KEY_SECRET, ClusterSpec

        r = self.request
        return ClusterSpec(
            cluster=self.cluster,
            region=self.region,
            account=self.account,
            oidc_issuer=self.oidc_issuer(),
            workspace_id=self.workspace_id or PENDING,
            namespace=r.namespace,
            release=r.release,
            primary=r.primary,
            federated=r.federated,
            bucket=r.bucket,
            chart_version=r.chart_version,
            product_key_secret=None if r.product_key is None else PRODUCT_KEY_SECRET,
            prom_cluster_id_label=r.prom_cluster_id_label,
            fleet=r.fleet,
            seed_recording_rules=r.seed_recording_rules,
            kms_key=r.kms_key,
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
