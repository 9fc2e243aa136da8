"""The sandbox's AWS: moto's WSGI app on 127.0.0.1 behind a middleware that logs and injects faults.

moto keeps its state in process-wide backends keyed by account: every request through this emulator
is put in `config.account` (header `x-moto-account-id`), and `reset()` drops that account only.
Two emulators with different accounts share a process without seeing each other; two with the
same account share one state.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from ampctl.sandbox.aws.clock import SandboxClock, with_date
from ampctl.sandbox.aws.eks_pod_identity import PodIdentityState
from ampctl.sandbox.aws.middleware import INTERNAL_HEADER, Answer, AwsMiddleware
from ampctl.sandbox.aws.ops import RequestInfo
from ampctl.sandbox.config import OPERATOR_ACCESS_KEY, OPERATOR_SECRET_KEY, Faults, SandboxConfig

# SHA-1 of the root CA that signs oidc.eks.*.amazonaws.com, as EKS documents for IRSA.
EKS_OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
EKS_VERSION = "1.30"

T = TypeVar("T")


def _mark_internal(request: Any, **_: Any) -> None:
    request.headers[INTERNAL_HEADER] = "1"


def _in_account(account: str) -> Any:
    def mark(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    return mark


def reset_moto_account(account: str) -> None:
    """Forget everything moto holds for `account`; backends are rebuilt on next use."""
    from moto.core.base_backend import BackendDict, backend_lock
    from moto.s3.models import s3_backends

    with backend_lock:
        for backend_dict in list(BackendDict._instances):  # type: ignore[misc]
            if account in backend_dict:
                del backend_dict[account]
        for bucket, (_, owner) in list(s3_backends.bucket_accounts.items()):
            if owner == account:
                s3_backends.bucket_accounts.pop(bucket, None)


def auto_mode(cluster: Any, account: str) -> None:
    """Make a moto cluster an EKS Auto Mode one, as DescribeCluster shows it (EKS API Reference, Cluster:
    computeConfig, storageConfig.blockStorage, kubernetesNetworkConfig.elasticLoadBalancing; "Create an Amazon EKS
    Auto Mode cluster" turns all three on together). moto's create_cluster takes none of them."""
    node_role = f"arn:aws:iam::{account}:role/{cluster.name}-eks-auto-node"
    cluster.compute_config = {"enabled": True, "nodePools": ["general-purpose", "system"], "nodeRoleArn": node_role}
    cluster.storage_config = {"blockStorage": {"enabled": True}}
    cluster.kubernetes_network_config = {**cluster.kubernetes_network_config, "elasticLoadBalancing": {"enabled": True}}


class AwsEmulator:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.endpoint = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._middleware: AwsMiddleware | None = None
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._clients_lock = threading.Lock()
        self._reset_lock = threading.Lock()
        self._session: Any = None
        self._iam_reads: tuple[int, dict[str, Any]] = (-1, {})
        self._iam_reads_lock = threading.Lock()
        self.clock = SandboxClock(config.clock_offset_seconds)  # the Date header's time (clock.py)

    # lifecycle

    def start(self) -> str:
        if self._server is not None:
            return self.endpoint
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        from ampctl.sandbox.aws import s3_policy

        s3_policy.install()
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class QuietHandler(MotoRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                return None

        app = DomainDispatcherApplication(create_backend_app)
        # moto lists its package directory and tries every service's URL patterns on each request, under one lock;
        # the answer for a host never changes.
        app.get_backend_for_host = functools.lru_cache(maxsize=1024)(app.get_backend_for_host)  # type: ignore[method-assign]
        self._middleware = AwsMiddleware(
            app,
            self.config,
            on_reset=self.reset,
            set_workspace_status=self.set_workspace_status,
            judge=self._judge,
            s3_refusal=self._s3_refusal,
        )
        served, handler = self.clock.wsgi(self._middleware), with_date(QuietHandler, self.clock)
        self._server = make_server("127.0.0.1", 0, served, threaded=True, request_handler=handler)
        port = self._server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"aws-emulator-{port}", daemon=True
        )
        self._thread.start()
        self.reset()
        return self.endpoint

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._clients_lock:
            self._clients.clear()

    def reset(self) -> None:
        """Drop this account's moto state (and the workspace account's), forget tokens and calls, clock back, seed."""
        with self._reset_lock:
            reset_moto_account(self.config.account)
            if self.config.workspace_account:
                reset_moto_account(self.config.workspace_account)
            if self._middleware is not None:
                self._middleware.clear_state()
            self.clock.reset()
            self._seed()

    def generation(self, service: str) -> int:
        """How many changes have been made through `service` (its signing name: iam, aps, ...) since start."""
        return self._middleware.generations[service] if self._middleware is not None else -1

    def iam_read(self, key: str, read: Callable[[], T]) -> T:
        """`read()` (of IAM state: a role's policy documents, say), remembered until IAM next changes."""
        generation = self.generation("iam")
        with self._iam_reads_lock:
            seen, reads = self._iam_reads
            if seen == generation and key in reads:
                return reads[key]
        value = read()
        with self._iam_reads_lock:
            if self._iam_reads[0] != generation:
                self._iam_reads = (generation, {})
            self._iam_reads[1][key] = value
        return value

    # clients and the world they see

    def client(self, service: str, region: str | None = None, account: str | None = None) -> Any:
        """A boto3 client on the emulator with the operator's credentials, neither counted nor faulted.

        With `account`, it acts in that account's state (the workspace account's, say) as an administrator there.
        """
        if not self.endpoint:
            raise RuntimeError("the AWS emulator is not started")
        key = (service, region or self.config.region, account or self.config.account)
        with self._clients_lock:
            if key not in self._clients:
                import boto3
                from botocore.config import Config

                if self._session is None:
                    self._session = boto3.session.Session(
                        aws_access_key_id=OPERATOR_ACCESS_KEY,
                        aws_secret_access_key=OPERATOR_SECRET_KEY,
                        region_name=self.config.region,
                    )
                client = self._session.client(
                    service,
                    region_name=key[1],
                    endpoint_url=self.endpoint,
                    config=Config(retries={"mode": "standard", "max_attempts": 3}),
                )
                client.meta.events.register("before-send.*.*", _mark_internal)
                client.meta.events.register("before-send.*.*", _in_account(key[2]))
                self._clients[key] = client
            return self._clients[key]

    def cluster_issuer(self, name: str) -> str:
        digest = hashlib.sha256(f"{self.config.account}:{self.config.region}:{name}".encode()).hexdigest()
        return f"https://oidc.eks.{self.config.region}.amazonaws.com/id/{digest[:32].upper()}"

    def oidc_provider_arn(self, issuer: str) -> str:
        return f"arn:aws:iam::{self.config.account}:oidc-provider/{issuer.removeprefix('https://')}"

    def _judge(self, info: RequestInfo, body: bytes, account: str, forward: Callable[[], Answer]) -> Answer | None:
        """The STS and IAM rules moto lacks: AssumeRole (assume.py), the principals of a trust (iam_principals.py)."""
        if info.service == "sts" and info.action == "AssumeRole":
            from ampctl.sandbox.aws.assume import assume_role

            return assume_role(self, info.access_key, body, forward)
        if info.service == "iam" and info.action in ("CreateRole", "UpdateAssumeRolePolicy"):
            from ampctl.sandbox.aws.iam_principals import judge_trust

            faults = (
                self._middleware.faults.faults if self._middleware else self.config.faults
            )  # /_sandbox/faults sets it
            return judge_trust(self, info.action, account, body, faults.iam_propagation_seconds, forward)
        return None

    def _s3_refusal(self, access_key: str, operation: str, environ: dict[str, Any]) -> tuple[int, bytes] | None:
        from ampctl.sandbox.aws.kms_policy import s3_refusal

        return s3_refusal(self, access_key, operation, environ)

    @property
    def pod_identity(self) -> PodIdentityState:
        """The EKS Pod Identity associations and agent add-ons (kept beside moto, which has neither)."""
        if self._middleware is None:
            raise RuntimeError("the AWS emulator is not started")
        return self._middleware.pod_identity

    def calls(self) -> list[dict[str, Any]]:
        return self._middleware.calls() if self._middleware is not None else []

    def clear_calls(self) -> None:
        if self._middleware is not None:
            self._middleware.clear_calls()

    def set_faults(self, faults: Faults) -> None:
        """Replace the fault settings (and restart their random sequence from `faults.seed`)."""
        self.config = replace(self.config, faults=faults)
        if self._middleware is not None:
            self._middleware.config = self.config
            self._middleware.set_faults(faults)

    def set_workspace_status(self, workspace_id: str, status_code: str, region: str | None = None) -> bool:
        """Put a workspace in CREATING, CREATION_FAILED, ... (moto makes every workspace ACTIVE)."""
        from moto.amp.models import amp_backends

        workspace = amp_backends[self.config.account][region or self.config.region].workspaces.get(workspace_id)
        if workspace is None:
            return False
        workspace.status = {"statusCode": status_code}
        return True

    def _seed(self) -> None:
        from moto.eks.models import eks_backends

        if self.config.workspace_account:
            self._seed_workspace_account(self.config.workspace_account)
        eks = self.client("eks")
        iam = self.client("iam")
        backend = eks_backends[self.config.account][self.config.region]
        for name in self.config.clusters:
            eks.create_cluster(
                name=name,
                version=EKS_VERSION,
                roleArn=f"arn:aws:iam::{self.config.account}:role/{name}-eks-cluster",
                resourcesVpcConfig={"endpointPublicAccess": True, "endpointPrivateAccess": True},
            )
            issuer = self.cluster_issuer(name)
            backend.clusters[name].identity = {"oidc": {"issuer": issuer}}
            if name in self.config.auto_mode_clusters:
                auto_mode(backend.clusters[name], self.config.account)
            if self.config.oidc_providers:
                iam.create_open_id_connect_provider(
                    Url=issuer,
                    ClientIDList=["sts.amazonaws.com"],
                    ThumbprintList=[EKS_OIDC_THUMBPRINT],
                )

    def _seed_workspace_account(self, account: str) -> None:
        """The monitoring account: an administrator role that the sandbox's own account may assume."""
        import json

        from ampctl.sandbox.config import WORKSPACE_ADMIN_ROLE

        iam = self.client("iam", account=account)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{self.config.account}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        iam.create_role(RoleName=WORKSPACE_ADMIN_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
        iam.attach_role_policy(RoleName=WORKSPACE_ADMIN_ROLE, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
