"""bootstrap and add-cluster as one order: which clusters, what the user gave, and how to apply."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ampctl.selection import Selection

if TYPE_CHECKING:
    from ampctl.fleet import Fleet
    from ampctl.target import Target


@dataclass(frozen=True)
class ProvisionOrder:
    selection: Selection
    primary: bool  # bootstrap (the primary) or add-cluster (additional clusters)
    given: dict[str, Any] = field(default_factory=dict)  # ProvisionRequest fields from the command line
    yes: bool = False
    dry_run: bool = False
    parallel: int = 4
    wait_lock: str | None = None  # --wait-lock DURATION


def run(order: ProvisionOrder) -> None:
    from ampctl.inputs import seconds
    from ampctl.provision.flow import provision
    from ampctl.provision.settings import build_request
    from ampctl.selection import choose, load_fleet

    wait_lock = seconds(order.wait_lock, "--wait-lock") if order.wait_lock else 0.0
    fleet = load_fleet(order.selection)
    request = build_request(order.primary, order.given, fleet)
    chosen = choose(order.selection, "primary" if order.primary else "additional", fleet)
    members = {m.name: m for m in fleet.members} if fleet is not None else {}
    if fleet is not None and not order.primary:
        request = dataclasses.replace(request, fleet_primary=_primary(fleet, order.selection))
    jobs = []
    for target in chosen.targets:
        member = members.get(target.cluster)
        extra = (*member.values, *request.extra_values) if member is not None else request.extra_values
        jobs.append((target, dataclasses.replace(request, extra_values=extra)))
    names = ", ".join(t.cluster for t in chosen.targets)
    title = f"bootstrap (primary {names})" if order.primary else f"add-cluster ({names})"
    provision(
        jobs, sessions=chosen.sessions, yes=order.yes, dry_run=order.dry_run,
        parallel=1 if order.primary else order.parallel, title=title, wait_lock=wait_lock,
    )  # fmt: skip


def _primary(fleet: Fleet, selection: Selection) -> Target | None:
    """The fleet file's primary, when its context is in the kubeconfig."""
    from ampctl import fleet as fleetmod
    from ampctl.errors import AmpctlError

    try:
        return fleetmod.target(fleet, fleet.primary, selection.kubeconfig)
    except AmpctlError:
        return None
