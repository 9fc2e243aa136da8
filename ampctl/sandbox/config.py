"""What a sandbox is made of: the configuration it starts with and the state it records."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CLUSTERS = ("sandbox-primary", "sandbox-east", "sandbox-west")
DEFAULT_REGION = "us-east-2"
ACCOUNT_ID = "123456789012"  # moto's default account
# The operator's credentials inside the sandbox. Not secret: they exist only on 127.0.0.1.
OPERATOR_ACCESS_KEY = "AKIASANDBOXOPERATOR1"
OPERATOR_SECRET_KEY = "sandbox-operator-secret-key-not-a-real-secret"
# The central monitoring account (`sandbox up --workspace-account`) and the role in it the operator may assume.
WORKSPACE_ACCOUNT_ID = "210987654321"
WORKSPACE_ADMIN_ROLE = "ampctl-sandbox-admin"


def workspace_admin_role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{WORKSPACE_ADMIN_ROLE}"


@dataclass(frozen=True)
class Faults:
    """Fault injection for the AWS emulator (set at start)."""

    latency_ms: int = 0
    throttle_rate: float = 0.0
    error_rate: float = 0.0  # 5xx answers, nothing changed
    lost_rate: float = 0.0  # the change is made, the client gets a 500
    seed: int | None = None
    # Only requests whose "<account>/<service>:<action>" matches this glob are faulted ("" = every request),
    # e.g. "210987654321/iam:CreateRole" for the roles made in the workspace account.
    only: str = ""
    # The resource is answered as missing, as when another run deleted it a moment ago (nothing changed): what a
    # read racing with a teardown sees.
    vanish_rate: float = 0.0
    count: int = 0  # at most this many faults are injected (0: no limit), e.g. 1 for "once"
    # For this long after a CreateRole, a trust policy naming that role is refused as IAM does while the new role
    # propagates ("Invalid principal in policy"; see ampctl.sandbox.aws.iam_principals). 0: off.
    iam_propagation_seconds: float = 0.0

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.throttle_rate or self.error_rate or self.lost_rate or self.vanish_rate)


@dataclass(frozen=True)
class SandboxConfig:
    state_dir: Path
    region: str = DEFAULT_REGION
    account: str = ACCOUNT_ID
    clusters: tuple[str, ...] = DEFAULT_CLUSTERS
    oidc_providers: bool = True
    faults: Faults = field(default_factory=Faults)
    prometheus_bin: str = "prometheus"
    feeder_interval: float = 5.0
    charts_dir: Path | None = None  # real chart packages to serve; None: the stand-in charts
    workspace_account: str | None = None  # a second AWS account (the AMP workspace's), off by default
    auto_mode_clusters: tuple[str, ...] = ()  # clusters created with EKS Auto Mode (Pod Identity built in)
    # Clusters as EKS creates them today (no default StorageClass, claims bound only by a running provisioner, pods
    # scheduled against node capacity; Auto Mode's storage on auto_mode_clusters). Off: the old behaviour.
    modern: bool = False
    small_node_clusters: tuple[str, ...] = ()  # one t3.nano-sized node (implies modern for those clusters)
    pod_start_seconds: float = 0.0  # image pull plus readiness, per pod
    # Added to the real time in the Date header of the AWS emulator's answers (ampctl.sandbox.aws.clock).
    clock_offset_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["state_dir"] = str(self.state_dir)
        data["charts_dir"] = str(self.charts_dir) if self.charts_dir else None
        data["clusters"] = list(self.clusters)
        data["auto_mode_clusters"] = list(self.auto_mode_clusters)
        data["small_node_clusters"] = list(self.small_node_clusters)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxConfig:
        data = dict(data)
        data["state_dir"] = Path(data["state_dir"])
        data["charts_dir"] = Path(data["charts_dir"]) if data.get("charts_dir") else None
        data["clusters"] = tuple(data["clusters"])
        data["auto_mode_clusters"] = tuple(data.get("auto_mode_clusters", ()))
        data["small_node_clusters"] = tuple(data.get("small_node_clusters", ()))
        faults = dict(data.get("faults", {}))
        data["faults"] = Faults(**faults)
        return cls(**data)


def context_name(region: str, account: str, cluster: str) -> str:
    return f"arn:aws:eks:{region}:{account}:cluster/{cluster}"


@dataclass
class ClusterState:
    name: str
    api_url: str
    issuer: str
    context: str


@dataclass
class SandboxState:
    """Written by the daemon to <state_dir>/state.json once every component is up."""

    pid: int
    region: str
    account: str
    aws_endpoint: str
    amp_endpoint: str
    chart_repo: str
    control_url: str
    kubeconfig: str
    clusters: dict[str, ClusterState]
    child_pids: list[int] = field(default_factory=list)
    charts: str = ""  # where the served charts come from: a packages directory, or "" for the stand-ins
    workspace_account: str = ""  # the second account, when the sandbox has one

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxState:
        data = dict(data)
        data["clusters"] = {k: ClusterState(**v) for k, v in data["clusters"].items()}
        return cls(**data)


def default_state_dir() -> Path:
    """AMPCTL_SANDBOX_DIR, else one per-user place: $XDG_STATE_HOME/ampctl/sandbox (~/.local/state/ampctl/sandbox)."""
    explicit = os.environ.get("AMPCTL_SANDBOX_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "ampctl" / "sandbox"


def read_state(state_dir: Path) -> SandboxState | None:
    path = state_dir / "state.json"
    if not path.exists():
        return None
    return SandboxState.from_json(json.loads(path.read_text()))
