"""The released Kubecost chart versions ampctl supports (cost-analyzer 1.x/2.x on AMP, kubecost 3.x on the bucket),
the chart line each belongs to, and the install modes each version can run. Every refusal happens here, before any
AWS or Kubernetes call.
"""

from __future__ import annotations

import re
from enum import Enum

from ampctl.errors import AmpctlError

DEFAULT_VERSION = "2.8.7"
SUPPORTED_RANGE = "1.97.0–1.108.1, 2.0.0–2.9.7 or 3.0.3–3.2.1"
FLAG = "--kubecost-version"

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")

Version = tuple[int, int, int]

# Released cost-analyzer chart versions that carry global.amp and sigV4Proxy: (major, minor) -> patches.
# From the chart repository's published packages (kubecost/cost-analyzer, the repository behind
# https://kubecost.github.io/cost-analyzer/) and its mirrors; release candidates are left out.
_RELEASED: dict[tuple[int, int], tuple[int, ...]] = {
    (1, 97): (0,),
    (1, 98): (0,),
    (1, 99): (0,),
    (1, 100): (0, 1, 2),
    (1, 101): (0, 1, 2, 3),
    (1, 102): (0, 1, 2, 3),
    (1, 103): (0, 1, 2, 3, 4, 5),
    (1, 104): (0, 1, 2, 3, 4, 5),
    (1, 105): (0, 1, 2),
    (1, 106): (0, 1, 2, 3, 4, 5, 7),
    (1, 107): (0, 1),
    (1, 108): (0, 1),
    (2, 0): (0, 1, 2),
    (2, 1): (0, 1, 2),
    (2, 2): (0, 1, 2, 3, 4, 5),
    (2, 3): (0, 1, 2, 3, 4, 5),
    (2, 4): (0, 1, 2, 3),
    (2, 5): (0, 1, 2, 3, 4, 5),
    (2, 6): (0, 1, 2, 3, 4, 5),
    (2, 7): (0, 1, 2),
    (2, 8): (0, 1, 2, 3, 4, 5, 6, 7),
    (2, 9): (0, 1, 2, 3, 5, 6, 7),  # 0 and 1 released, refused: see REFUSED
    # The `kubecost` chart (3.x): the chart repository's index (https://kubecost.github.io/kubecost, branch gh-pages
    # of kubecost/kubecost, index.yaml), release candidates left out. 3.0.0-3.0.2 released, refused: see REFUSED.
    (3, 0): (0, 1, 2, 3, 4, 5, 6),
    (3, 1): (0, 1, 2, 3, 4, 5, 6, 7, 8),
    (3, 2): (0, 1),
}
RELEASED: tuple[Version, ...] = tuple(
    sorted((major, minor, patch) for (major, minor), patches in _RELEASED.items() for patch in patches)
)


# Released versions whose chart refuses a correct AMP install, with the reason. Refused for every command and
# every version change; doctor names the reason on a cluster that runs one.
# cost-analyzer 2.9.0 and 2.9.1: `kc29FailConditions` (templates/_helpers.tpl, rendered from NOTES.txt) fails
# unless prometheus.server.global.external_labels.cluster_id is the chart default `cluster-one` ("In kubecost
# 2.9, the location of the cluster_id configuration has changed"), measured with `helm template` at those tags.
# On AMP that label is what keeps one cluster's samples apart from another's in the shared workspace, so the
# chart either fails or writes every cluster under one id. The chart at 2.9.7 (../shared/charts) has no such
# condition in kc29FailConditions; 2.9.2 through 2.9.7 render with per-cluster ids.
_CLUSTER_ID_REFUSED = (
    "its chart fails unless prometheus.server.global.external_labels.cluster_id is the default cluster-one, "
    "and on AMP every cluster needs its own id there"
)
# kubecost 3.0.0-3.0.2 name the finops-agent subchart `finops-agent` (Chart.yaml dependencies, no alias); from 3.0.3
# it is aliased `finopsagent` and a `finops-agent` key fails ("kubecost.finopsagentCheck" in templates/_helpers.tpl
# at 3.2.1). ampctl sets the agent's ServiceAccount under `finopsagent`, which those three would ignore.
_FINOPSAGENT_KEY_REFUSED = (
    "its chart takes the finops-agent's values under `finops-agent` (from 3.0.3 on: `finopsagent`), so the agent "
    "would not run as the ServiceAccount ampctl binds to the bucket"
)
REFUSED: dict[Version, str] = {(2, 9, 0): _CLUSTER_ID_REFUSED, (2, 9, 1): _CLUSTER_ID_REFUSED} | {
    (3, 0, patch): _FINOPSAGENT_KEY_REFUSED for patch in (0, 1, 2)
}


class ChartLine(Enum):
    """The multi-cluster models of the cost-analyzer chart that ampctl supports."""

    FEDERATOR_1X = "1.x"  # Federator combines per-cluster ETL in S3
    AGGREGATOR_2X = "2.x"  # Aggregator on the primary reads S3 (2.9 included: see chartkeys for its keys)
    KUBECOST_3X = "3.x"  # the `kubecost` chart: no Prometheus, no AMP; the finops-agent writes to the bucket

    @property
    def on_amp(self) -> bool:
        """The line keeps its metrics in the AMP workspace (1.x and 2.x); 3.x keeps everything in the bucket."""
        return self is not ChartLine.KUBECOST_3X


def parse_version(version: str) -> Version:
    """MAJOR.MINOR.PATCH as integers; anything else is refused."""
    match = _SEMVER.match(version.strip()) if isinstance(version, str) else None
    if not match:
        raise _unsupported(version, "it is not a chart version of the form MAJOR.MINOR.PATCH")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def show(version: Version) -> str:
    return ".".join(str(part) for part in version)


def chart_line(version: str) -> ChartLine:
    """The chart line of a released, supported version; refuse every other version with the reason."""
    parsed = parse_version(version)
    if parsed < RELEASED[0]:
        raise _unsupported(version, "global.amp and sigV4Proxy first appear in 1.97.0")
    if parsed not in RELEASED:
        raise AmpctlError(
            f"Kubecost chart {version} was never released",
            f"the nearest released versions are {' and '.join(nearest(parsed))}: pass one of them with {FLAG}",
        )
    return {1: ChartLine.FEDERATOR_1X, 2: ChartLine.AGGREGATOR_2X}.get(parsed[0], ChartLine.KUBECOST_3X)


def check_usable(version: str) -> ChartLine:
    """The chart line of a version ampctl installs: released, supported, and not refused for a broken chart."""
    line = chart_line(version)
    parsed = parse_version(version)
    if parsed in REFUSED:
        working = next(show(v) for v in RELEASED if v > parsed and v not in REFUSED)
        newest = max(v for v in RELEASED if v[0] == parsed[0])
        raise AmpctlError(
            f"Kubecost {version} cannot run {'on AMP' if line.on_amp else 'with ampctl'}: {REFUSED[parsed]}",
            f"pass {FLAG} {working} or later (for example {show(newest)})",
        )
    return line


def nearest(version: Version) -> list[str]:
    """The released versions just below and just above `version` (one of them at the ends)."""
    below = [v for v in RELEASED if v < version]
    above = [v for v in RELEASED if v > version]
    return [show(v) for v in (below[-1:] + above[:1])]


def check_mode(version: str, federated: bool) -> ChartLine:
    """The chart line, after refusing a mode the version cannot run (quick-start or federated)."""
    line = check_usable(version)
    parsed = parse_version(version)
    if line is ChartLine.KUBECOST_3X and not federated:
        raise AmpctlError(
            f"Kubecost {version} keeps every cluster's data in the S3 bucket (global.federatedStorage): ampctl's 3.x "
            "fleets are federated only",
            f"drop --no-federated (3.x implies the bucket), or use {FLAG} {DEFAULT_VERSION} for quick-start on AMP",
        )
    if parsed[:2] == (2, 9) and not federated:
        raise AmpctlError(
            f"Kubecost {version} runs federated only: the 2.9 chart requires federated storage "
            "(global.federatedStorage), so quick-start is not possible",
            f"add --federated (every cluster writes to the shared bucket), or use {FLAG} {DEFAULT_VERSION} "
            "for quick-start",
        )
    if (2, 0, 0) <= parsed <= (2, 2, 1) and not federated:
        raise AmpctlError(
            f"Kubecost {version} refuses quick-start with AMP: the chart fails with 'Multi-Cluster-Prometheus "
            "Error' (multi-cluster Prometheus without federated storage is unsupported on 2.0.0–2.2.1)",
            f"use {FLAG} 2.2.2 or later (for example {DEFAULT_VERSION}), or add --federated",
        )
    if parsed[:2] == (1, 97) and federated:
        raise AmpctlError(
            f"Kubecost {version} has no federated ETL (it starts at 1.98.0): the object-store Secret "
            "would be mounted and never used",
            f"use {FLAG} 1.98.0 or later (for example 1.108.1), or drop --federated for quick-start",
        )
    return line


# EKS Pod Identity: Kubecost documents it from this chart version on.
POD_IDENTITY_FROM: Version = (2, 2, 0)
IRSA, POD_IDENTITY = "irsa", "pod-identity"
IDENTITIES = (IRSA, POD_IDENTITY)


def check_identity(version: str, identity: str) -> None:
    """Refuse an identity the user cannot have: unknown, or Pod Identity on a chart version before 2.2.0."""
    if identity not in IDENTITIES:
        raise AmpctlError(
            f"unknown identity {identity!r}: expected irsa or pod-identity", "pass --identity irsa or pod-identity"
        )
    if identity == POD_IDENTITY and parse_version(version) < POD_IDENTITY_FROM:
        raise AmpctlError(
            f"Kubecost {version} does not support EKS Pod Identity: Kubecost documents it from "
            f"{show(POD_IDENTITY_FROM)}",
            f"pass {FLAG} {show(POD_IDENTITY_FROM)} or later (for example {DEFAULT_VERSION}), or --identity irsa",
        )


def _unsupported(version: object, why: str) -> AmpctlError:
    shown = repr(version) if len(repr(version)) <= 40 else repr(version)[:37] + "..."
    return AmpctlError(
        f"unsupported Kubecost chart version {shown}: ampctl supports {SUPPORTED_RANGE}",
        f"{why}; pass {FLAG} {DEFAULT_VERSION} (the default) or another released version in that range",
    )
