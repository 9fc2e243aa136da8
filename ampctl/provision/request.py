"""What the user asked bootstrap / add-cluster / render for, as plain data."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ampctl.lines.base import Line
from ampctl.spec import (
    DEFAULT_ALIAS,
    DEFAULT_CHART,
    DEFAULT_NAMESPACE,
    DEFAULT_RELEASE,
    DEFAULT_TIMEOUT,
    DEFAULT_VALUES_DIR,
    PRODUCT_KEY_SECRET,
    ClusterSpec,
)
from ampctl.versions import DEFAULT_VERSION, IRSA, POD_IDENTITY, chart_line

if TYPE_CHECKING:
    from ampctl.target import Target


@dataclass(frozen=True)
class ProvisionRequest:
    primary: bool = True
    federated: bool = False
    alias: str = DEFAULT_ALIAS
    workspace_id: str | None = None
    # The role ampctl assumes in the AMP workspace's account, when that is not the cluster's (README: "A workspace
    # in another account"): the workspace, its tags and rules, and the per-cluster roles there are made through it.
    workspace_role_arn: str | None = None
    bucket: str | None = None
    kms_key: str | None = None
    namespace: str = DEFAULT_NAMESPACE
    release: str = DEFAULT_RELEASE
    chart: str = DEFAULT_CHART
    chart_repo: str | None = None
    chart_version: str = DEFAULT_VERSION
    recording_rules: bool = True
    seed_recording_rules: bool = False
    create_oidc_provider: bool = False
    seed_policies: bool = False
    identity: str = IRSA  # "irsa" or "pod-identity"
    install_pod_identity_agent: bool = False
    storage_class: str | None = None  # --storage-class: set on every claim of the chart line
    install_ebs_csi_driver: bool = False  # --install-ebs-csi-driver: the aws-ebs-csi-driver add-on and its role
    create_storage_class: bool = False  # --create-storage-class: on EKS Auto Mode, a class of its own provisioner
    product_key: str | None = None
    prom_cluster_id_label: str | None = None
    extra_values: tuple[str, ...] = ()
    set_values: tuple[str, ...] = ()
    timeout: str = DEFAULT_TIMEOUT
    values_dir: str = DEFAULT_VALUES_DIR
    fleet: str | None = None
    helm: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    # Which settings the user chose (flags or the fleet file), as opposed to defaults; those not chosen follow the
    # fleet's recorded shape. A chosen one that contradicts the shape is refused unless override_shape.
    given: frozenset[str] = frozenset()
    override_shape: bool = False
    # GitOps: everything but the helm release, which Argo CD or Flux installs (`render --gitops`).
    no_helm: bool = False
    fleet_primary: Target | None = None  # the fleet file's primary, read when the workspace has no record
    # One cluster's turn in `ampctl upgrade`: the fleet may mix versions (and lines, moving to 3.x) meanwhile.
    upgrading: bool = False

    @property
    def pod_identity(self) -> bool:
        return self.identity == POD_IDENTITY

    @property
    def line(self) -> Line:
        return chart_line(self.chart_version)

    def with_default_bucket(self, account: str, region: str) -> ProvisionRequest:
        """Fill in the default bucket name once the account is known (federated mode only)."""
        from ampctl.naming import default_bucket

        if not self.federated or self.bucket:
            return self
        return dataclasses.replace(self, bucket=default_bucket(account, region))

    def cluster_spec(
        self, *, cluster: str, region: str, account: str, oidc_issuer: str, workspace_id: str
    ) -> ClusterSpec:
        """What this request asks of one cluster, online (bootstrap) and offline (render) alike."""
        return ClusterSpec(
            cluster=cluster,
            region=region,
            account=account,
            oidc_issuer=oidc_issuer,
            workspace_id=workspace_id,
            namespace=self.namespace,
            release=self.release,
            primary=self.primary,
            federated=self.federated,
            bucket=self.bucket,
            kms_key=self.kms_key if self.federated else None,
            chart_version=self.chart_version,
            product_key_secret=None if self.product_key is None else PRODUCT_KEY_SECRET,
            prom_cluster_id_label=self.prom_cluster_id_label,
            seed_recording_rules=self.seed_recording_rules,
            workspace_account=self.workspace_account,
            identity=self.identity,
            storage_class=self.claim_class,
        )

    @property
    def claim_class(self) -> str | None:
        """The class ampctl sets on every claim: --storage-class, or the one --create-storage-class makes."""
        from ampctl.storage.classes import AUTO_MODE_CLASS

        return self.storage_class or (AUTO_MODE_CLASS if self.create_storage_class else None)

    @property
    def workspace_account(self) -> str | None:
        """The workspace's account when it is not the cluster's (from --workspace-account-role)."""
        from ampctl.endpoints import account_of

        return account_of(self.workspace_role_arn) if self.workspace_role_arn else None
