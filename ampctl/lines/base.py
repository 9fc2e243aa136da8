"""What a Kubecost chart line is: the one object each line module (ampctl.lines.v1, v2, v29, v3) fills in.

Everything that differs between lines lives in that object: the chart, its contract keys, its values, its volumes,
the versions and modes it refuses, Pod Identity, the path to and from it, and what doctor expects of it. Every other
module asks the line of a version (ampctl.versions.chart_line / line_of) instead of naming a line. This module and the
line modules import nothing of ampctl above them (ampctl.versions imports them for its version table).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

Version = tuple[int, int, int]
Role = str  # "primary" | "agent"
CLUSTER = "<cluster>"  # placeholder in the key tables for the cluster's own id
OBJECT_STORE_SECRET = "kubecost-object-store"  # the Secret ampctl creates with federated-store.yaml


class Site(Protocol):
    """The part of a cluster's spec a line's values read (ampctl.spec.ClusterSpec has it)."""

    @property
    def cluster(self) -> str: ...

    @property
    def primary(self) -> bool: ...

    @property
    def release(self) -> str: ...


@dataclass(frozen=True)
class LineKeys:
    """Where one chart line keeps each contract fact."""

    name: str
    cluster_id_keys: tuple[str, ...]  # every key that must hold the cluster id
    object_store_key: str  # names the object-store Secret (its key is federated-store.yaml)
    forbidden_keys: tuple[str, ...]  # keys the chart fails on (or ignores wrongly) when set
    federation: dict[Role, dict[str, Any]]  # federated mode, per role
    aws_sdk_auth: bool  # the object store config asks for the AWS SDK (IRSA) credentials
    finops_agent_sa_key: str | None = None  # the subchart's ServiceAccount, when the line has one
    # Federated mode: names for cost-analyzer's objects that a subchart renders under the chart's default.
    federated_names: dict[str, str] = field(default_factory=dict)
    # The chart's switch that skips its lookup-based sanity checks, for engines that render with `helm template`
    # and no cluster access (Argo CD): empty where the line has none or needs none.
    gitops_template_values: dict[str, Any] = field(default_factory=dict)
    service_accounts: dict[str, str] = field(default_factory=dict)  # key -> the ServiceAccount ampctl creates


@dataclass(frozen=True)
class Claim:
    name: str  # the claim's name for release `kubecost` (a StatefulSet's: <template>-<pod>)
    size: str
    class_key: str  # the key that sets its StorageClass


@dataclass(frozen=True)
class ModeRefusal:
    """A mode (federated or quick-start) versions first..last of a line cannot run (None: from the line's first, to
    its last). The message and hint are formatted with {version}, {flag} (--kubecost-version) and {default} (the
    default version)."""

    federated: bool
    message: str
    hint: str
    first: Version | None = None
    last: Version | None = None

    def applies(self, version: Version, federated: bool) -> bool:
        return federated == self.federated and (self.first or version) <= version <= (self.last or version)


@dataclass(frozen=True)
class Need:
    """A pod's requests with ampctl's values (ampctl.kube.capacity)."""

    component: str
    cpu: float  # cores
    memory: float  # bytes


@dataclass(frozen=True)
class DoctorExpectations:
    """What doctor runs on a cluster of this line. `area`: the check area that runs on this line only (the others
    skip it, saying `elsewhere`). `skipped`: when set, the areas of the other lines' checks that do not apply here
    (area -> why; `other` for an area not named), except the check ids in `shared`; `label` starts each reason."""

    area: str | None = None
    elsewhere: str = ""
    label: str = ""
    skipped: dict[str, str] | None = None
    other: str = ""
    shared: frozenset[str] = frozenset()


# A refusal of a version change, given (current, target, current's line, target's line): (message, hint) or None.
PathRule = Callable[[str, str, "Line", "Line"], "tuple[str, str] | None"]


def _none(*_: object) -> None:
    return None


@dataclass(frozen=True, eq=False)  # one object per line: compared (and hashed) by identity
class Line:
    """One chart line: see the module's docstring. `family` is the line as recorded on a fleet and shown (2.9 is
    recorded as 2.x, the line it bridges from)."""

    name: str
    family: str
    chart_name: str  # the chart's name (Chart.yaml), shown in plans and status
    chart: str | None  # the default chart reference; None: ampctl's default (ampctl.spec.DEFAULT_CHART)
    on_amp: bool  # the line keeps its metrics in the AMP workspace
    keys: LineKeys
    refused: dict[Version, str] = field(default_factory=dict)  # released versions refused, with the reason
    mode_refusals: tuple[ModeRefusal, ...] = ()
    pod_identity_from: Version | None = None  # None: every version of the line supports EKS Pod Identity
    product_key: bool = False  # a product key applies (federated installs only)
    bridge: bool = False  # the line every cluster runs before it moves to a line off AMP
    claims: Callable[[bool, bool], list[Claim]] = lambda primary, federated: []  # (primary, federated)
    kept_claims: tuple[Claim, ...] = ()  # claims the chart leaves behind when a later chart drops them
    requests: Callable[[Version, bool, bool], list[Need]] = lambda version, primary, federated: []
    # The key that makes cost-model compute only the cluster's own id, on a version (None: no such key).
    cluster_filter_key: Callable[[Version], str | None] = lambda version: None
    quick_start_primary_shows_fleet: bool = False  # a quick-start primary computes every cluster (no filter)
    upgrade_ack: tuple[Version, Version] | None = None  # versions that need upgrade.toV2 in federated mode
    # The Kubernetes versions Kubecost tests a minor of the line on: (major, minor) -> (lowest, highest).
    kubernetes_tested: dict[tuple[int, int], tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=dict)
    leaving: PathRule = _none  # refuses a change from this line
    arriving: PathRule = _none  # refuses a change to this line
    doctor: DoctorExpectations = DoctorExpectations()
    # The values of a cost-analyzer line come from ampctl.chartkeys and these templates (ampctl.render.values).
    overlay_template: str = ""
    federation_template: str | None = None  # per-role tuning, "{role}" filled in
    federation_roles: dict[Role, str] = field(default_factory=dict)  # what a federated primary or agent does
    # A line off AMP: its values, its EKS overlay and its ServiceAccounts (component -> account).
    values: Callable[[Any], dict[str, Any]] | None = None
    eks_overlay: dict[str, Any] = field(default_factory=dict)
    describe_role: Callable[[Any], str] = lambda site: ""
    service_accounts: Callable[[bool, str], dict[str, str]] = lambda primary, release: {}

    def claim_names(self, primary: bool, federated: bool, release: str) -> list[str]:
        """The names of the claims a release of this line makes, for `release`."""
        return [c.name.replace("kubecost", release) for c in self.claims(primary, federated)]
