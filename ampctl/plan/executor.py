"""Plan every cluster with read-only calls, show the plan, then apply the same steps.

Steps of one cluster run in order and stop at its first failure; clusters run in parallel
up to `parallel`; every cluster's failure is collected and reported together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ampctl import output
from ampctl.errors import AmpctlError, AmpctlErrors
from ampctl.plan.step import Action, Change, Step

R = TypeVar("R")

_ICONS = {
    Action.CREATE: "[green]+ create[/green]",
    Action.UPDATE: "[yellow]~ update[/yellow]",
    Action.UNCHANGED: "[dim]= unchanged[/dim]",
    Action.DELETE: "[red]- delete[/red]",
}


@dataclass
class ClusterPlan(Generic[R]):
    name: str
    run: R
    steps: list[tuple[Step, Change]] = field(default_factory=list)
    error: AmpctlError | None = None
    applied: list[tuple[Step, Change]] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(1 for _, change in self.steps if change.action.mutates)


def _parallel(items: Sequence[Any], fn: Callable[[Any], None], parallel: int) -> None:
    if len(items) == 1 or parallel <= 1:
        for item in items:
            fn(item)
        return
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(fn, items))


def plan(
    targets: Sequence[tuple[str, Callable[[], R]]],
    steps_for: Callable[[R], list[Step]],
    parallel: int,
) -> list[ClusterPlan[R]]:
    plans: list[ClusterPlan[R]] = []

    def one(target: tuple[str, Callable[[], R]]) -> None:
        name, make = target
        try:
            run = make()
            cluster_plan: ClusterPlan[R] = ClusterPlan(name, run)
            plans.append(cluster_plan)
            for step in steps_for(run):
                cluster_plan.steps.append((step, step.check(run)))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - collected per cluster, unknown ones re-raised
            from ampctl.cli.errorhandler import translate

            user_error = translate(exc)
            if user_error is None:
                raise
            found = next((p for p in plans if p.name == name), None)
            if found is None:
                found = ClusterPlan(name, None)  # type: ignore[arg-type]
                plans.append(found)
            found.error = user_error

    _parallel(targets, one, parallel)
    order = [name for name, _ in targets]
    plans.sort(key=lambda p: order.index(p.name))
    return plans


def show_plan(plans: list[ClusterPlan[Any]], title: str) -> None:
    from rich.markup import escape
    from rich.tree import Tree

    if output.is_json() or output.settings.verbosity < 0:
        return
    tree = Tree(f"[bold]{escape(title)}[/bold]")
    for p in plans:
        branch = tree.add(f"[bold]{escape(p.name)}[/bold]")
        for step, change in p.steps:
            detail = f" [dim]({escape(change.detail)})[/dim]" if change.detail else ""
            branch.add(f"{_ICONS[change.action]} {escape(step.title)}{detail}")
        if p.error:
            branch.add(f"[red]✗ {escape(p.error.message)}[/red]")
    output.err().print(tree)


def apply(plans: list[ClusterPlan[Any]], parallel: int) -> None:
    def one(p: ClusterPlan[Any]) -> None:
        if p.error:
            return
        for step, change in p.steps:
            if not change.action.mutates:
                continue
            output.info(f"[dim]{p.name}:[/dim] {change.action.value} {step.title}")
            try:
                step.apply(p.run, change)
            except Exception as exc:  # noqa: BLE001 - collected per cluster, unknown ones re-raised
                from ampctl.cli.errorhandler import translate

                user_error = translate(exc)
                if user_error is None:
                    raise
                p.error = user_error
                return
            p.applied.append((step, change))
        output.info(f"[green]✓[/green] {p.name}: done")

    _parallel(plans, one, parallel)


def raise_errors(plans: list[ClusterPlan[Any]]) -> None:
    failed: dict[str, AmpctlError] = {p.name: p.error for p in plans if p.error}
    if len(failed) == 1 and len(plans) == 1:
        raise next(iter(failed.values()))
    if failed:
        raise AmpctlErrors(failed)
