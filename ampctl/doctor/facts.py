"""One cluster's facts, read once and on demand: identity, workspace, Helm release, Kubernetes objects.

Every read is a GET/List/Describe: doctor never changes anything. Each read is made once, also when
several threads ask at once (the runner prefetches a cluster's reads at once, then runs its checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ampctl.clients import ClusterClients
from ampctl.doctor.chartdefaults import CHART_DEFAULTS
from ampctl.doctor.kubefacts import KubeReads
from ampctl.doctor.options import DoctorOptions
from ampctl.errors import AmpctlError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ampctl.aws.session import AwsSession
    from ampctl.fleetshape import FleetShape
    from ampctl.helm import Release
    from ampctl.target import Target

_UNSET = object()


class Facts(KubeReads):
    def __init__(self, target: Target, aws: AwsSession, options: DoctorOptions) -> None:
        super().__init__()
        self.target = target
        self.aws = aws
        self.options = options
        self.clients = ClusterClients(target, aws, options.helm, options.workspace_role_arn)
        self.release_error: AmpctlError | None = None

    @property
    def cluster(self) -> str:
        return self.target.cluster

    @property
    def region(self) -> str:
        return self.target.region

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    # AWS

    def caller(self) -> dict[str, Any]:
        return dict(self.once("caller", lambda: self.client("sts").get_caller_identity()))

    @property
    def account(self) -> str:
        return str(self.caller()["Account"])

    def eks_cluster(self) -> dict[str, Any] | None:
        def read() -> dict[str, Any] | None:
            from botocore.exceptions import ClientError

            try:
                return dict(self.client("eks").describe_cluster(name=self.cluster)["cluster"])
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                    return None
                raise

        found: dict[str, Any] | None = self.once("eks", read)
        return found

    def issuer(self) -> str | None:
        cluster = self.eks_cluster() or {}
        issuer = cluster.get("identity", {}).get("oidc", {}).get("issuer")
        return str(issuer) if issuer else None

    def workspace(self) -> tuple[dict[str, Any] | None, str]:
        """(the workspace, how it was found): --workspace-id, else the alias, else the release's values."""

        def read() -> tuple[dict[str, Any] | None, str]:
            from ampctl.aws import amp

            client = self.clients.workspace_client("amp")
            if self.options.workspace_id:
                return amp.describe(client, self.options.workspace_id), "--workspace-id"
            found = amp.one_by_alias(client, self.options.alias, self.region)  # id, ARN, status and tags
            if found is not None:
                return found, f"alias {self.options.alias}"
            named = self.values_workspace_id()
            if named:
                return amp.describe(client, named), "the release's values"
            return None, f"alias {self.options.alias}"

        result: tuple[dict[str, Any] | None, str] = self.once("workspace", read)
        return result

    def workspace_id(self) -> str | None:
        """The workspace's id when it exists and is usable."""
        from ampctl.aws.amp import status_of

        ws, _ = self.workspace()
        if ws is None or status_of(ws) not in {"ACTIVE", "UPDATING"}:
            return None
        return str(ws["workspaceId"])

    def fleet_shape(self) -> FleetShape | None:
        """The fleet's shape: recorded on the workspace by the primary, else inferred from what exists."""
        from ampctl.fleetshape import read

        def load() -> FleetShape | None:
            ws, _ = self.workspace()
            return read(self.aws, ws, bucket=self.options.bucket, fleet=None)

        found: FleetShape | None = self.once("fleet-shape", load)
        return found

    def role(self, name: str) -> dict[str, Any] | None:
        from ampctl.aws.iam import get_role

        found: dict[str, Any] | None = self.once(f"role:{name}", lambda: get_role(self.client("iam"), name))
        return found

    def attached(self, role: str) -> set[str]:
        """The managed policies attached to a role in the cluster's account."""
        from ampctl.aws.iam import attached_policy_arns

        found: set[str] = self.once(f"attached:{role}", lambda: attached_policy_arns(self.client("iam"), role))
        return found

    def oidc_providers(self) -> set[str]:
        """The ARNs of the account's IAM OIDC providers."""
        from ampctl.aws.iam import oidc_provider_arns

        found: set[str] = self.once("oidc-providers", lambda: oidc_provider_arns(self.client("iam")))
        return found

    # Helm

    def release(self) -> Release | None:
        """The release, or None when it is missing or helm cannot read it (then `release_error` says why)."""

        def read() -> Release | None:
            from ampctl.errors import AmpctlError

            try:
                return self.clients.read_release(self.options.release, self.namespace)
            except AmpctlError as exc:
                self.release_error = exc
                return None

        found: Release | None = self.once("release", read)
        return found

    @property
    def values(self) -> dict[str, Any]:
        release = self.release()
        return release.values if release is not None else {}

    def value(self, path: str, default: Any = _UNSET) -> Any:
        """A value the release was installed with, else the chart's default."""
        node: Any = self.values
        for key in path.split("."):
            if not isinstance(node, dict) or key not in node:
                return CHART_DEFAULTS.get(path) if default is _UNSET else default
            node = node[key]
        return node

    def values_workspace_id(self) -> str | None:
        import re

        for path in ("global.amp.remoteWriteService", "global.amp.prometheusServerEndpoint"):
            match = re.search(r"/workspaces/(ws-[A-Za-z0-9-]+)", str(self.value(path, "") or ""))
            if match:
                return match.group(1)
        return None

    @property
    def store_secret(self) -> str | None:
        """The object-store Secret the values name (the key moved to global.federatedStorage in 2.9)."""
        from ampctl.chartkeys import object_store_secret

        return object_store_secret(self.values)

    @property
    def federated(self) -> bool:
        return self.store_secret is not None

    @property
    def primary(self) -> bool:
        if self.value("federatedETL.agentOnly", False) is True:
            return False
        if self.value("aggregator.enabled", None) is False:  # a 3.x agent (ampctl.lines.v3)
            return False
        return self.value("federatedETL.primaryCluster", True) is not False

    @property
    def cluster_id(self) -> str:
        """The cluster_id Kubecost expects in its series: kubecostProductConfigs.clusterName, else the name."""
        return str(self.value("kubecostProductConfigs.clusterName", None) or self.cluster)

    @property
    def id_label(self) -> str:
        return str(self.value("kubecostModel.promClusterIDLabel", None) or "cluster_id")

    def repair(self, *extra: str) -> str:
        """The ampctl command that puts this cluster's IAM, service accounts, Secret and values right."""
        command = "bootstrap" if self.primary and self.federated else "add-cluster"
        federated = " --federated" if self.federated else ""
        more = "".join(f" {arg}" for arg in extra)
        return f"`ampctl {command}{federated} --context {self.target.context}{more} --yes`"

    @property
    def fullname(self) -> str:
        override = self.value("fullnameOverride", "")
        if override:
            return str(override)[:63].rstrip("-")
        name = self.options.release
        return name if "cost-analyzer" in name else f"{name}-cost-analyzer"[:63].rstrip("-")

    @property
    def prometheus_name(self) -> str:
        return f"{self.options.release}-prometheus-server"[:63].rstrip("-")

    def deployment_name(self, component: str) -> str:
        """The Deployment of a component (cost-analyzer or prometheus-server; 3.x: finops-agent)."""
        if component == "finops-agent":
            return f"{self.options.release}-finopsagent"  # the finops-agent's fullname in the kubecost chart 3.2.1
        return self.fullname if component == "cost-analyzer" else self.prometheus_name

    # The federated store

    @property
    def store_secret_name(self) -> str:
        from ampctl.spec import OBJECT_STORE_SECRET

        return self.store_secret or OBJECT_STORE_SECRET

    def store_config(self) -> tuple[dict[str, Any] | None, str]:
        """(the parsed `config` of federated-store.yaml, or None with what is wrong)."""
        result: tuple[dict[str, Any] | None, str] = self.once("store-config", self._read_store_config)
        return result

    def _read_store_config(self) -> tuple[dict[str, Any] | None, str]:
        from ampctl.doctor.store import parse_store_secret

        secret = self.kube.read("secret", self.namespace, self.store_secret_name)
        return parse_store_secret(secret, f"{self.namespace}/{self.store_secret_name}")

    def expected_bucket(self, shape: Callable[[], FleetShape | None]) -> tuple[str, str]:
        """(bucket, where that came from): --bucket, the fleet's `shape` (read only when needed), the cluster's
        S3 policy, else the default name."""
        if self.options.bucket:
            return self.options.bucket, "--bucket"
        recorded = shape()
        if recorded is not None and recorded.bucket and recorded.source == "recorded":
            return recorded.bucket, "the fleet's shape"
        from_policy = self._policy_bucket()
        if from_policy:
            return from_policy, "the cluster's S3 policy"
        from ampctl.naming import default_bucket

        return default_bucket(self.account, self.region), "ampctl's default"

    def bucket(self, shape: Callable[[], FleetShape | None]) -> tuple[str, str]:
        """The bucket Kubecost uses: the Secret's when it can be read, else the expected one."""
        config, _ = self.store_config()
        if config is not None:
            return str(config["bucket"]), "the object-store Secret"
        return self.expected_bucket(shape)

    def _policy_bucket(self) -> str | None:
        from ampctl.doctor.store import policy_bucket

        return policy_bucket(self.client("iam"), self.account, self.cluster, self.region)
