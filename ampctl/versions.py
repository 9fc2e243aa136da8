"""The version table: the released Kubecost chart versions ampctl supports (cost-analyzer 1.x/2.x on AMP, kubecost
3.x on the bucket) and the chart line (ampctl.lines) each belongs to; the checks of a version, its mode and identity
against its line. Every refusal happens here, before any AWS or Kubernetes call.
"""

from __future__ import annotations

import re

from ampctl.errors import AmpctlError
from ampctl.lines import v1, v2, v3, v29
from ampctl.lines.base import Line, Version

DEFAULT_VERSION = "2.8.7"
FLAG = "--kubecost-version"

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")

# The version table: released chart versions, (major, minor) -> the line module's LINE and the patches. cost-analyzer
# 1.x/2.x (the versions that carry global.amp and sigV4Proxy) from the chart repository's published packages
# (kubecost/cost-analyzer, the repository behind https://kubecost.github.io/cost-analyzer/) and its mirrors; the
# `kubecost` chart (3.x) from its repository's index (https://kubecost.github.io/kubecost, branch gh-pages of
# kubecost/kubecost, index.yaml). Release candidates are left out. A released version a line refuses (its chart
# breaks ampctl's install) is in that line's `refused`, with the reason.
_RELEASED: dict[tuple[int, int], tuple[Line, tuple[int, ...]]] = {
    (1, 97): (v1.LINE, (0,)),
    (1, 98): (v1.LINE, (0,)),
    (1, 99): (v1.LINE, (0,)),
    (1, 100): (v1.LINE, (0, 1, 2)),
    (1, 101): (v1.LINE, (0, 1, 2, 3)),
    (1, 102): (v1.LINE, (0, 1, 2, 3)),
    (1, 103): (v1.LINE, (0, 1, 2, 3, 4, 5)),
    (1, 104): (v1.LINE, (0, 1, 2, 3, 4, 5)),
    (1, 105): (v1.LINE, (0, 1, 2)),
    (1, 106): (v1.LINE, (0, 1, 2, 3, 4, 5, 7)),
    (1, 107): (v1.LINE, (0, 1)),
    (1, 108): (v1.LINE, (0, 1)),
    (2, 0): (v2.LINE, (0, 1, 2)),
    (2, 1): (v2.LINE, (0, 1, 2)),
    (2, 2): (v2.LINE, (0, 1, 2, 3, 4, 5)),
    (2, 3): (v2.LINE, (0, 1, 2, 3, 4, 5)),
    (2, 4): (v2.LINE, (0, 1, 2, 3)),
    (2, 5): (v2.LINE, (0, 1, 2, 3, 4, 5)),
    (2, 6): (v2.LINE, (0, 1, 2, 3, 4, 5)),
    (2, 7): (v2.LINE, (0, 1, 2)),
    (2, 8): (v2.LINE, (0, 1, 2, 3, 4, 5, 6, 7)),
    (2, 9): (v29.LINE, (0, 1, 2, 3, 5, 6, 7)),
    (3, 0): (v3.LINE, (0, 1, 2, 3, 4, 5, 6)),
    (3, 1): (v3.LINE, (0, 1, 2, 3, 4, 5, 6, 7, 8)),
    (3, 2): (v3.LINE, (0, 1)),
}
RELEASED: tuple[Version, ...] = tuple(
    sorted((major, minor, patch) for (major, minor), (_, patches) in _RELEASED.items() for patch in patches)
)
LINES: tuple[Line, ...] = tuple(dict.fromkeys(line for line, _ in _RELEASED.values()))  # oldest first
REFUSED: dict[Version, str] = {version: why for line in LINES for version, why in line.refused.items()}


def supported_range() -> str:
    """Per major, the oldest and newest released version ampctl installs: "1.97.0–1.108.1, 2.0.0–2.9.7 or ..."."""
    usable = [v for v in RELEASED if v not in REFUSED]
    spans = [f"{show(min(vs))}–{show(max(vs))}" for major in dict.fromkeys(v[0] for v in usable)
             if (vs := [v for v in usable if v[0] == major])]  # fmt: skip
    return ", ".join(spans[:-1]) + f" or {spans[-1]}" if len(spans) > 1 else spans[0]


def parse_version(version: str) -> Version:
    """MAJOR.MINOR.PATCH as integers; anything else is refused."""
    match = _SEMVER.match(version.strip()) if isinstance(version, str) else None
    if not match:
        raise _unsupported(version, "it is not a chart version of the form MAJOR.MINOR.PATCH")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def show(version: Version) -> str:
    return ".".join(str(part) for part in version)


def line_of(version: str) -> Line:
    """The line of any MAJOR.MINOR.PATCH, released or not: that of the nearest released minor at or below it (the
    oldest line below them all)."""
    parsed = parse_version(version)
    below = [minor for minor in _RELEASED if minor <= parsed[:2]]
    return _RELEASED[max(below)][0] if below else LINES[0]


def line_or_none(version: str | None) -> Line | None:
    """The line of an installed release's chart version (`line_of`), or None when it is no chart version at all."""
    try:
        return line_of(str(version))
    except AmpctlError:
        return None


def recorded(family: str | None) -> Line | None:
    """The line of a fleet's recorded chart line (`Line.family`, e.g. on its tags), or None for none ampctl knows."""
    return next((line for line in LINES if line.family == family), None)


def chart_line(version: str) -> Line:
    """The chart line of a released, supported version; refuse every other version with the reason."""
    parsed = parse_version(version)
    if parsed < RELEASED[0]:
        raise _unsupported(version, "global.amp and sigV4Proxy first appear in 1.97.0")
    if parsed not in RELEASED:
        raise AmpctlError(
            f"Kubecost chart {version} was never released",
            f"the nearest released versions are {' and '.join(nearest(parsed))}: pass one of them with {FLAG}",
        )
    return _RELEASED[parsed[0], parsed[1]][0]


def newest_usable(version: Version) -> Version:
    """The newest released version of the same major that ampctl does not refuse: where an upgrade goes."""
    return max(v for v in RELEASED if v[0] == version[0] and v not in REFUSED)


def check_usable(version: str) -> Line:
    """The chart line of a version ampctl installs: released, supported, and not refused for a broken chart."""
    line = chart_line(version)
    parsed = parse_version(version)
    if parsed in REFUSED:
        working = next(show(v) for v in RELEASED if v > parsed and v not in REFUSED)
        newest = newest_usable(parsed)
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


def check_mode(version: str, federated: bool) -> Line:
    """The chart line, after refusing a mode the version cannot run (quick-start or federated)."""
    line = check_usable(version)
    parsed = parse_version(version)
    for refusal in line.mode_refusals:
        if refusal.applies(parsed, federated):
            shown = {"version": version, "flag": FLAG, "default": DEFAULT_VERSION}
            raise AmpctlError(refusal.message.format(**shown), refusal.hint.format(**shown))
    return line


IRSA, POD_IDENTITY = "irsa", "pod-identity"
IDENTITIES = (IRSA, POD_IDENTITY)


def check_identity(version: str, identity: str) -> None:
    """Refuse an identity the user cannot have: unknown, or Pod Identity on a version before its line's
    `pod_identity_from` (Kubecost documents EKS Pod Identity from 2.2.0)."""
    if identity not in IDENTITIES:
        raise AmpctlError(
            f"unknown identity {identity!r}: expected irsa or pod-identity", "pass --identity irsa or pod-identity"
        )
    since = line_of(version).pod_identity_from if identity == POD_IDENTITY else None
    if since is not None and parse_version(version) < since:
        raise AmpctlError(
            f"Kubecost {version} does not support EKS Pod Identity: Kubecost documents it from {show(since)}",
            f"pass {FLAG} {show(since)} or later (for example {DEFAULT_VERSION}), or --identity irsa",
        )


def _unsupported(version: object, why: str) -> AmpctlError:
    shown = repr(version) if len(repr(version)) <= 40 else repr(version)[:37] + "..."
    return AmpctlError(
        f"unsupported Kubecost chart version {shown}: ampctl supports {SUPPORTED_RANGE}",
        f"{why}; pass {FLAG} {DEFAULT_VERSION} (the default) or another released version in that range",
    )


SUPPORTED_RANGE = supported_range()  # per major, from the version table: nothing to keep in step by hand
