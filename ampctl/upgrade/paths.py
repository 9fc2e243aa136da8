"""Which version changes `ampctl upgrade` makes, and what each changes on a cluster.

Kubecost's path from 2.x to 3.x (kubecost/kubecost README.md at v3.2.1, "Migration path from 2.x to 3.x"): "all
agents be updated to 2.9 for two days prior to upgrading to 3.0"; "the primary does not need to be upgraded first,
though it is recommended to do so"; "a complete re-ingestion of data will begin as soon as 3.x is installed ... 20
minutes to 2 days". The 2.9 procedure (examples/README.md at v2.9.7): the cluster id moves to `global.clusterId`, the
storage config to `global.federatedStorage`, the finops-agent needs the bucket, and "The finops-agent must run for
2 days before upgrading to 3.x", else "the data of the current day (UTC) prior to the upgrade may not be captured".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ampctl.errors import AmpctlError
from ampctl.versions import chart_line, check_identity, check_mode, check_usable, line_of, parse_version

if TYPE_CHECKING:
    from ampctl.spec import ClusterSpec


def is_bridge(version: str) -> bool:
    """The version is of the line every cluster runs before it leaves AMP (2.9)."""
    return line_of(version).bridge


def check_path(current: str, target: str, *, federated: bool, identity: str) -> None:
    """Refuse a version change ampctl does not make, with the way that works."""
    with as_target():
        check_usable(target)
        check_mode(target, federated)  # 2.9 and 3.x run federated only
        check_identity(target, identity)
    now, then = parse_version(current), parse_version(target)
    if then < now:
        raise AmpctlError(
            f"{target} is older than {current}: ampctl upgrade does not downgrade",
            f"roll one cluster back with `helm rollback`, or pass --to {current} or later",
        )
    before, after = chart_line(current), chart_line(target)
    for rule in (before.leaving, after.arriving):  # each line's own rules (ampctl.lines): 1.x's, 3.x's bridge rule
        refused = rule(current, target, before, after)
        if refused is not None:
            raise AmpctlError(*refused)


@contextmanager
def as_target() -> Iterator[None]:
    """The version checks of bootstrap, saying `--to` (upgrade's flag) where they say `--kubecost-version`."""
    from ampctl.versions import FLAG

    try:
        yield
    except AmpctlError as exc:
        raise AmpctlError(exc.message.replace(FLAG, "--to"), (exc.hint or "").replace(FLAG, "--to") or None) from exc


def line_change(current: str, target: str) -> bool:
    return chart_line(current).on_amp and not chart_line(target).on_amp


def changes(spec: ClusterSpec, current: str, changed_keys: list[str]) -> list[str]:
    """What moving this cluster (its spec at the target) from `current` changes: chart, values (`changed_keys`, the
    keys of its deployed values the install changes), accounts and roles, associations, volumes, history."""
    from ampctl.provision.values import listed

    target = spec.chart_version
    found = []
    if line_change(current, target):
        found.append(f"chart {chart_line(current).chart_name} {current} -> {chart_line(target).chart_name} {target} "
                     "(same release)")  # fmt: skip
    else:
        found.append(f"chart {current} -> {target}")
    # The chart's sections and their keys (the top two levels): the detail is in the release's own diff.
    sections = sorted({".".join(key.split(".")[:2]) for key in changed_keys})
    if sections:
        found.append(f"values: {listed(sections, 5)}")
    if line_change(current, target):
        accounts = chart_line(target).service_accounts(spec.primary, spec.release)
        old = chart_line(current).service_accounts(spec.primary, spec.release)
        found.append(f"new roles and ServiceAccounts: {', '.join(accounts.values())}")
        found.append(f"2.x ServiceAccounts removed after the install: {', '.join(old.values())}"
                     "; their AMP roles stay until `teardown --retire-amp`")  # fmt: skip
        if spec.identity == "pod-identity":
            found.append(f"pod identity associations: {len(accounts)} new, the {len(old)} of 2.x deleted")
    found += _volumes(spec, current)
    if line_change(current, target) and spec.primary:
        found.append("history re-ingested from the bucket (20 minutes to 2 days; the UI shows progress meanwhile)")
    if is_bridge(target) and not is_bridge(current):
        found.append("finops-agent starts writing to the bucket: 3.x waits until it has run two days")
    return found


def _volumes(spec: ClusterSpec, current: str) -> list[str]:
    """The claims the move deletes, and those the chart keeps but nothing uses any more."""
    before_line, after_line = line_of(current), line_of(spec.chart_version)
    before = before_line.claim_names(spec.primary, spec.federated, spec.release)
    after = set(after_line.claim_names(spec.primary, spec.federated, spec.release))
    kept = [c.name.replace("kubecost", spec.release) for c in before_line.kept_claims]  # helm leaves them behind
    gone = [name for name in before if name not in after and name not in kept]
    found = [f"volumes deleted: {', '.join(gone)}"] if gone else []
    for name in kept:
        if name in before and name not in after and not after_line.on_amp:
            found.append(f"volume {name} left by the chart (resource-policy keep) and no longer used: "
                         f"`kubectl delete pvc {name} -n {spec.namespace}` once the move is done")  # fmt: skip
    return found


def describe(version: str | None) -> str:
    if version is None:
        return "not installed"
    try:
        line = chart_line(version)
    except AmpctlError:
        return version
    return f"{line.chart_name} {version} ({line.family})"
