"""What status finds of one cluster."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ClusterStatus:
    cluster: str
    context: str | None = None
    in_fleet: bool = True
    release_status: str | None = None
    owner: str | None = None  # the GitOps engine that applied the release (Argo CD, Flux), else None (helm)
    chart_version: str | None = None
    line: str | None = None  # the chart line (1.x, 2.x, 3.x) of the release
    roles: dict[str, bool] = field(default_factory=dict)
    service_accounts: dict[str, bool] = field(default_factory=dict)
    federated: bool = False
    mode: str | None = None  # from the release's values
    identity: str | None = None  # irsa or pod-identity, as its ServiceAccounts show
    differs: list[str] = field(default_factory=list)  # how it differs from the fleet's shape
    on_target: bool | None = None  # on the recorded upgrade's target version (None: no upgrade recorded)
    upgrade: str | None = None  # where it stands in the upgrade (ampctl.fleetstatus.upgrade)
    etl_objects: int | None = None
    last_sample_age: float | None = None
    state: str = "no data"
    errors: list[str] = field(default_factory=list)
