"""The fleet's shape: what every cluster of one fleet shares, recorded by the primary as tags on the AMP workspace
(a 3.x fleet, which has no workspace: on its bucket, see ampctl.kubecost3.shape).

Tags (all under `ampctl/`): mode (federated | quick-start), bucket (federated ETL bucket, empty in quick-start),
chart-line (1.x | 2.x | 3.x), chart-version (the primary's), namespace, release, primary (the primary's cluster name),
identity (irsa | pod-identity; a record without it means irsa), releases (ampctl | gitops: who installs the
helm releases; a record without it means ampctl),
and ampctl/fleet when the fleet has a name. add-cluster follows the shape; doctor and status compare each cluster
with it. Workspaces made before the record existed get a shape inferred from what exists.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ampctl.errors import AmpctlError
from ampctl.spec import DEFAULT_NAMESPACE, DEFAULT_RELEASE
from ampctl.versions import IDENTITIES, IRSA

MODE_TAG = "ampctl/mode"
BUCKET_TAG = "ampctl/bucket"
LINE_TAG = "ampctl/chart-line"
VERSION_TAG = "ampctl/chart-version"
NAMESPACE_TAG = "ampctl/namespace"
RELEASE_TAG = "ampctl/release"
PRIMARY_TAG = "ampctl/primary"
IDENTITY_TAG = "ampctl/identity"
# Who installs the releases: ampctl (helm), or a GitOps engine (bootstrap/add-cluster --no-helm).
RELEASES_TAG = "ampctl/releases"
GITOPS = "gitops"
FEDERATED, QUICK_START = "federated", "quick-start"
OVERRIDE_FLAG = "--override-fleet-shape"
# Every tag of the record but ampctl/fleet (ampctl.naming.FLEET_TAG, which ampctl also puts on what it makes).
TAGS = (
    MODE_TAG,
    BUCKET_TAG,
    LINE_TAG,
    VERSION_TAG,
    NAMESPACE_TAG,
    RELEASE_TAG,
    PRIMARY_TAG,
    IDENTITY_TAG,
    RELEASES_TAG,
)


@dataclass(frozen=True)
class FleetShape:
    mode: str  # FEDERATED or QUICK_START
    chart_version: str | None  # None when inferred (unknown)
    bucket: str | None = None
    namespace: str = DEFAULT_NAMESPACE
    release: str = DEFAULT_RELEASE
    primary: str | None = None
    fleet: str | None = None
    identity: str = IRSA  # irsa or pod-identity
    gitops: bool = False  # the releases are a GitOps engine's (Argo CD, Flux), not ampctl's
    source: str = "recorded"  # "recorded" on the workspace, or what it was "inferred from ..."

    @property
    def federated(self) -> bool:
        return self.mode == FEDERATED

    @property
    def chart_line(self) -> str | None:
        from ampctl.versions import chart_line

        return chart_line(self.chart_version).family if self.chart_version else None

    @property
    def off_amp(self) -> bool:
        """The fleet's chart line keeps every cluster's data in the bucket, with no AMP workspace (3.x)."""
        from ampctl.versions import chart_line

        return bool(self.chart_version) and not chart_line(self.chart_version or "").on_amp

    def tags(self) -> dict[str, str]:
        from ampctl.naming import FLEET_TAG

        tags = {
            MODE_TAG: self.mode, BUCKET_TAG: self.bucket or "", LINE_TAG: self.chart_line or "",
            VERSION_TAG: self.chart_version or "", NAMESPACE_TAG: self.namespace, RELEASE_TAG: self.release,
            PRIMARY_TAG: self.primary or "", IDENTITY_TAG: self.identity,
            RELEASES_TAG: GITOPS if self.gitops else "ampctl",
        }  # fmt: skip
        if self.fleet:
            tags[FLEET_TAG] = self.fleet
        return tags

    def describe(self) -> str:
        bucket = f", bucket {self.bucket}" if self.bucket else ""
        from ampctl.versions import chart_line

        chart = ""
        if self.chart_version:
            chart = f", {chart_line(self.chart_version).chart_name} {self.chart_version} ({self.chart_line})"
        identity = f", {self.identity}" if self.identity != IRSA else ""
        gitops = ", GitOps-managed" if self.gitops else ""
        return f"{self.mode}{bucket}{chart}{identity}{gitops}"

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "chart_line": self.chart_line}


def mode_of(federated: bool) -> str:
    return FEDERATED if federated else QUICK_START


def from_tags(tags: dict[str, str]) -> FleetShape | None:
    """The recorded shape, or None when the workspace carries no record (made before, or not by ampctl)."""
    from ampctl.naming import FLEET_TAG

    mode = tags.get(MODE_TAG)
    if mode not in (FEDERATED, QUICK_START) or not tags.get(VERSION_TAG):
        return None
    identity = tags.get(IDENTITY_TAG) or IRSA
    return FleetShape(
        identity=identity if identity in IDENTITIES else IRSA,
        mode=mode, chart_version=tags[VERSION_TAG], bucket=tags.get(BUCKET_TAG) or None,
        namespace=tags.get(NAMESPACE_TAG) or DEFAULT_NAMESPACE, release=tags.get(RELEASE_TAG) or DEFAULT_RELEASE,
        primary=tags.get(PRIMARY_TAG) or None, fleet=tags.get(FLEET_TAG) or None,
        gitops=tags.get(RELEASES_TAG) == GITOPS,
    )  # fmt: skip


def workspace_tags(workspace: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (workspace.get("tags") or {}).items()}


def differences(
    shape: FleetShape,
    *,
    federated: bool,
    bucket: str | None,
    chart_version: str | None,
    skew: bool = False,
    identity: str | None = None,
) -> list[str]:
    """What makes a cluster differ from its fleet: mode, bucket, chart line, identity (and with skew, the version)."""
    from ampctl.versions import chart_line

    found = []
    if identity is not None and identity != shape.identity:
        found.append(f"identity {identity}, the fleet's is {shape.identity}")
    if federated != shape.federated:
        found.append(f"mode {mode_of(federated)}, the fleet is {shape.mode}")
    elif federated and shape.bucket and bucket and bucket != shape.bucket:
        found.append(f"bucket {bucket}, the fleet's is {shape.bucket}")
    if chart_version:
        try:
            line = chart_line(chart_version).family
        except AmpctlError:
            line = None
        if line is not None and shape.chart_line is not None and line != shape.chart_line:
            found.append(f"chart line {line} ({chart_version}), the fleet's is {shape.chart_line}")
        elif skew and shape.chart_version and chart_version != shape.chart_version:
            found.append(f"chart {chart_version}, the fleet's is {shape.chart_version}")
    return found


def refusal(shape: FleetShape, conflicts: list[str], workspace: str, command: str) -> AmpctlError:
    what = "; ".join(conflicts)
    return AmpctlError(
        f"the fleet of workspace {workspace} is {shape.describe()} ({shape.source}), but {what}",
        f"drop the flag to follow the fleet, or add {OVERRIDE_FLAG} to {command} on purpose "
        '(README: "The fleet\'s shape")',
    )


def read(aws: Any, workspace: dict[str, Any] | None, *, bucket: str | None, fleet: str | None) -> FleetShape | None:
    """The workspace's recorded shape; without a record, the shape inferred from what exists, else None.

    Inference (workspaces made before the record): a bucket named like the fleet's (--bucket, else ampctl's default
    name) that exists and carries ampctl's tags (and, with a fleet name, ampctl/fleet) means a federated fleet.
    """
    from ampctl.aws import s3 as s3api
    from ampctl.naming import FLEET_TAG, MANAGED_BY_TAG, default_bucket

    if workspace is None:
        return None
    recorded = from_tags(workspace_tags(workspace))
    if recorded is not None:
        return recorded
    name = bucket or default_bucket(aws.account(), aws.region)
    s3 = aws.client("s3")
    try:
        if s3api.bucket_state(s3, name) == "missing":
            return None
    except AmpctlError:
        return None
    tags = s3api.tags(s3, name)
    if tags.get(MANAGED_BY_TAG[0]) != MANAGED_BY_TAG[1] or (fleet and tags.get(FLEET_TAG) not in (None, fleet)):
        return None
    return FleetShape(FEDERATED, None, bucket=name, fleet=fleet, source=f"inferred from bucket {name}, made by ampctl")
