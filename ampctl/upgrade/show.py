"""How an upgrade's plan reads: for people, one branch per wave and cluster (current -> target, what changes); for
machines, one JSON document."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ampctl import output

if TYPE_CHECKING:
    from ampctl.upgrade.fleetstate import FleetState
    from ampctl.upgrade.planning import ClusterPlan
    from ampctl.upgrade.waves import Wave


def show_plan(state: FleetState, plans: list[ClusterPlan], waves: list[Wave], target: str, now: datetime) -> None:
    from rich.markup import escape
    from rich.tree import Tree

    from ampctl.upgrade.paths import describe

    if output.is_json() or output.settings.verbosity < 0:
        return
    by_name = {p.name: p for p in plans}
    recorded = f"; recorded: {state.progress.describe()}" if state.progress is not None else ""
    title = f"upgrade to {describe(target)} (fleet {state.shape.describe()}, on {state.holder.describe()}{recorded})"
    tree = Tree(f"[bold]{escape(title)}[/bold]")
    for wave in waves:
        branch = tree.add(f"[bold]{escape(wave.describe(len(waves)))}[/bold]")
        for name in wave.clusters:
            plan = by_name[name]
            if plan.done:
                branch.add(f"[dim]= {escape(name)}: already {escape(describe(plan.current))}[/dim]")
                continue
            node = branch.add(f"[yellow]~[/yellow] {escape(name)}: {escape(describe(plan.current))} -> "
                              f"{escape(describe(target))}")  # fmt: skip
            for change in plan.changes:
                node.add(escape(change))
            if plan.bridge is not None:
                node.add(escape(plan.bridge.describe(now)))
    output.err().print(tree)


def document(
    state: FleetState, plans: list[ClusterPlan], waves: list[Wave], target: str, now: datetime, **extra: Any
) -> dict[str, Any]:
    return {
        "target": target,
        "fleet": state.shape.to_json(),
        "recorded_on": state.holder.describe(),
        "clusters": [p.to_json(now) for p in plans],
        "waves": [{"number": w.number, "kind": w.kind, "clusters": list(w.clusters)} for w in waves],
        **extra,
    }
