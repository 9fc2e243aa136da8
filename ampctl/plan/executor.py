"""Plan every cluster with read-only calls, show the plan, then apply the same steps.

Each cluster's steps run as a dependency graph (see `plan.step`): what does not wait for anything runs at
once, on one bounded pool shared by every cluster; up to `parallel` clusters run at once. A failed step
stops only the steps that wait for it; every failure is collected. The plan tree and the results keep the
steps' order whatever finishes first: a cluster's plan shows the steps before its first failure, then
its failures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic

from ampctl import output
from ampctl.errors import AmpctlError, AmpctlErrors
from ampctl.plan.graph import Failed, Graph, Task
from ampctl.plan.step import Action, Change, RunT, Step, prepares, waits_for
from ampctl.translate import translate

_ICONS = {
    Action.CREATE: "[green]+ create[/green]",
    Action.UPDATE: "[yellow]~ update[/yellow]",
    Action.UNCHANGED: "[dim]= unchanged[/dim]",
    Action.DELETE: "[red]- delete[/red]",
}


@dataclass
class ClusterPlan(Generic[RunT]):
    name: str
    run: RunT | None = None
    steps: list[tuple[Step[RunT], Change]] = field(default_factory=list)
    errors: list[AmpctlError] = field(default_factory=list)
    applied: list[tuple[Step[RunT], Change]] = field(default_factory=list)

    @property
    def error(self) -> AmpctlError | None:
        return self.errors[0] if self.errors else None

    @property
    def changes(self) -> int:
        return sum(1 for _, change in self.steps if change.action.mutates)


def _guarded(found: dict[int, AmpctlError], index: int, fn: Callable[[], Any]) -> Any:
    """Run fn; a known failure is recorded under `index` and fails the task, anything else propagates."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - collected per step, unknown ones re-raised
        user_error = translate(exc)
        if user_error is None:
            raise
        found[index] = user_error
        raise Failed from exc


def _collect(errors: dict[int, AmpctlError]) -> list[AmpctlError]:
    """The failures in step order, each message once."""
    unique: dict[str, AmpctlError] = {}
    for _, error in sorted(errors.items()):
        unique.setdefault(error.message, error)
    return list(unique.values())


def check(changes: dict[int, Change], errors: dict[int, AmpctlError], index: int, step: Step[RunT], run: RunT) -> None:
    changes[index] = _guarded(errors, index, partial(step.check, run))


def plan(
    targets: Sequence[tuple[str, Callable[[], RunT]]],
    steps_for: Callable[[RunT], list[Step[RunT]]],
    parallel: int,
) -> list[ClusterPlan[RunT]]:
    graph = Graph(groups=parallel)
    plans: list[ClusterPlan[RunT]] = [ClusterPlan(name) for name, _ in targets]
    found: list[tuple[list[Step[RunT]], dict[int, Change], dict[int, AmpctlError]]] = []

    def start(number: int, make: Callable[[], RunT]) -> None:
        cluster_plan = plans[number]
        name = cluster_plan.name
        steps, changes, errors = found[number]
        cluster_plan.run = run = _guarded(errors, -1, make)
        steps += _guarded(errors, -1, partial(steps_for, run))
        tasks: list[Task] = []
        for index, step in enumerate(steps):
            after = [tasks[j] for j in waits_for(steps, index, applying=False)]
            if prepares(step):
                after.append(graph.add(partial(_guarded, errors, index, partial(step.prepare, run)), group=name))
            tasks.append(graph.add(partial(check, changes, errors, index, step, run), after, group=name))

    for number, (name, make) in enumerate(targets):
        found.append(([], {}, {}))
        graph.add(partial(start, number, make), group=name)
    graph.run()
    for cluster_plan, (steps, changes, errors) in zip(plans, found, strict=True):
        first = min(errors, default=len(steps))
        cluster_plan.steps = [(steps[i], changes[i]) for i in range(max(first, 0))]
        cluster_plan.errors = _collect(errors)
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
        for error in p.errors:
            branch.add(f"[red]✗ {escape(error.message)}[/red]")
    output.err().print(tree)


def _apply_cluster(graph: Graph, p: ClusterPlan[RunT], run: RunT) -> tuple[dict[int, AmpctlError], set[int]]:
    errors: dict[int, AmpctlError] = {}
    applied: set[int] = set()
    steps = [step for step, _ in p.steps]
    tasks: list[Task | None] = []

    def one(index: int, step: Step[RunT], change: Change) -> None:
        output.info(f"[dim]{p.name}:[/dim] {change.action.value} {step.title}")
        _guarded(errors, index, partial(step.apply, run, change))
        applied.add(index)

    for index, (step, change) in enumerate(p.steps):
        if not change.action.mutates:
            tasks.append(None)
            continue
        after = [t for j in waits_for(steps, index, applying=True) if (t := tasks[j]) is not None]
        tasks.append(graph.add(partial(one, index, step, change), after, group=p.name))
    done = [t for t in tasks if t is not None]
    graph.add(partial(output.info, f"[green]✓[/green] {p.name}: done"), done, group=p.name)
    return errors, applied


def apply(plans: Sequence[ClusterPlan[RunT]], parallel: int) -> None:
    graph = Graph(groups=parallel)
    outcome = [(p, _apply_cluster(graph, p, p.run)) for p in plans if p.run is not None and not p.errors]
    graph.run()
    for p, (errors, applied) in outcome:
        p.applied = [p.steps[i] for i in sorted(applied)]
        p.errors = _collect(errors)


def raise_errors(plans: list[ClusterPlan[Any]]) -> None:
    failed: dict[str, AmpctlError] = {}
    for p in plans:
        for number, error in enumerate(p.errors, start=1):
            failed[p.name if number == 1 else f"{p.name} ({number})"] = error
    if len(failed) == 1 and len(plans) == 1:
        raise next(iter(failed.values()))
    if failed:
        raise AmpctlErrors(failed)
