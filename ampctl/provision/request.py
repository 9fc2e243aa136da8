"""What the user asked bootstrap / add-cluster / render for, as plain data."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProvisionRequest:
    primary: bool = True
    federated: bool = False
    alias: str = "kubecost-amp"
    workspace_id: str | None = None
    bucket: str | None = None
    kms_key: str | None = None
    namespace: str = "kubecost"
    release: str = "kubecost"
    chart: str = "oci://public.ecr.aws/kubecost/cost-analyzer"
    chart_repo: str | None = None
    chart_version: str = "2.8.7"
    recording_rules: bool = True
    seed_recording_rules: bool = False
    create_oidc_provider: bool = False
    seed_policies: bool = False
    product_key: str | None = None
    prom_cluster_id_label: str | None = None
    extra_values: tuple[str, ...] = ()
    set_values: tuple[str, ...] = ()
    timeout: str = "10m"
    values_dir: str = ".ampctl"
    fleet: str | None = None
    helm: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def with_default_bucket(self, account: str, region: str) -> ProvisionRequest:
        """Fill in the default bucket name once the account is known (federated mode only)."""
        from ampctl.naming import default_bucket

        if not self.federated or self.bucket:
            return self
        return dataclasses.replace(self, bucket=default_bucket(account, region))
