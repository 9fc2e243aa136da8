"""One cluster's facts, read once and on demand: identity, workspace, Helm release, Kubernetes objects.

Every read is a GET/List/Describe: doctor never changes anything. Each read is made once, also when
several threads ask at once (the runner prefetches a cluster's reads at once, then runs its checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ampctl.clients import ClusterClients
from ampctl.doctor.kubefacts import KubeReads
from ampctl.doctor.options import DoctorOptions
from ampctl.errors import AmpctlError

if TYPE_CHECKING:
    from ampctl.aws.session import AwsSession
    from ampctl.doctor.model import Check
    from ampctl.doctor.promql import Outcome
    from ampctl.fleetshape import FleetShape
    from ampctl.helm import Helm, Release
    from ampctl.target import Target

_UNSET = object()

# Chart defaults of the keys doctor reads, for releases installed without them.
CHART_DEFAULTS: dict[str, Any] = {
    "global.amp.enabled": False,
    "global.amp.prometheusServerEndpoint": "http://localhost:8005/workspaces/<workspaceId>/",
    "global.amp.remoteWriteService": (
        "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/<workspaceId>/api/v1/remote_write"
    ),
    "global.amp.sigv4.region": "us-west-2",
    "global.prometheus.enabled": True,
    "sigV4Proxy.region": "us-west-2",
    "sigV4Proxy.host": "aps-workspaces.us-west-2.amazonaws.com",
    "sigV4Proxy.port": 8005,
    "prometheus.server.global.external_labels.cluster_id": "cluster-one",
}


class Facts(KubeReads):
    def __init__(self, target: Target, aws: AwsSession, options: DoctorOptions) -> None:
        super().__init__()
        self.target = target
        self.aws = aws
        self.options = options
        self.clients = ClusterClients(target, aws, options.helm)
        self.results: dict[str, Check] = {}
        self.queries: dict[tuple[str, str], Outcome] = {}  # (way, metric) -> last outcome
        self.label_values: dict[str, list[tuple[str, int, float | None]]] = {}  # metric -> found values
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

            client = self.client("amp")
            if self.options.workspace_id:
                return amp.describe(client, self.options.workspace_id), "--workspace-id"
            found = amp.one_by_alias(client, self.options.alias, self.region)
            if found is not None:
                return amp.describe(client, str(found["workspaceId"])) or found, f"alias {self.options.alias}"
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

    def known_workspace_id(self) -> str | None:
        """The workspace's id once identity.workspace has found it usable, else None."""
        check = self.results.get("identity.workspace")
        if check is None or check.status.value not in ("pass", "warn"):
            return None
        return self.workspace_id()

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

    # Helm

    @property
    def helm(self) -> Helm:
        return self.clients.helm

    def release(self) -> Release | None:
        """The release, or None when it is missing or helm cannot read it (then `release_error` says why)."""

        def read() -> Release | None:
            from ampctl.errors import AmpctlError

            try:
                return self.helm.release(self.options.release, self.namespace)
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
        return self.value("federatedETL.primaryCluster", True) is not False

    @property
    def cluster_id(self) -> str:
        """The cluster_id Kubecost expects in its series: kubecostProductConfigs.clusterName, else the name."""
        return str(self.value("kubecostProductConfigs.clusterName", None) or self.cluster)

    @property
    def id_label(self) -> str:
        return str(self.value("kubecostModel.promClusterIDLabel", None) or "cluster_id")

    def repair(self) -> str:
        """The ampctl command that puts this cluster's IAM, service accounts, Secret and values right."""
        command = "bootstrap" if self.primary and self.federated else "add-cluster"
        federated = " --federated" if self.federated else ""
        return f"`ampctl {command}{federated} --context {self.target.context} --yes`"

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
