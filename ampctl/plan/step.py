"""The step protocol: describe yourself, check the world read-only, apply safely when re-run.

A step is generic in the run it acts on (a provisioning run, a teardown run, ...), so every command plans with
the same executor. It also says what it waits for, so the executor can run the others at the same time:

- `gives`: what its check finds or its apply makes (for example "workspace", "namespace");
- `needs`: what both its check and its apply wait for; None (the default) waits for every earlier step;
- `after`: what only its apply waits for (what must exist before it is made); "*" is every earlier step.

A step may also `prepare`: a read that waits for nothing (a helm release, say), started at once and finished
before its check runs. What is known before any call (the account, names and ARNs derived from it) is no dependency.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

RunT = TypeVar("RunT")

EVERY_EARLIER = "*"


class Action(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DELETE = "delete"

    @property
    def mutates(self) -> bool:
        return self is not Action.UNCHANGED


@dataclass(frozen=True)
class Change:
    action: Action
    detail: str = ""

    @classmethod
    def create(cls, detail: str = "") -> Change:
        return cls(Action.CREATE, detail)

    @classmethod
    def update(cls, detail: str) -> Change:
        return cls(Action.UPDATE, detail)

    @classmethod
    def unchanged(cls, detail: str = "") -> Change:
        return cls(Action.UNCHANGED, detail)

    @classmethod
    def delete(cls, detail: str = "") -> Change:
        return cls(Action.DELETE, detail)


class Step(Generic[RunT]):
    """One unit of desired state. Subclasses set `title` and implement check and apply.

    check() makes only read calls and says what apply() would do; apply() must be safe to
    run again after a partial failure (it re-reads what it needs).
    """

    title: str = ""
    gives: tuple[str, ...] = ()
    needs: tuple[str, ...] | None = None
    after: tuple[str, ...] = ()

    def prepare(self, run: RunT) -> None:
        """Optional: a slow read that waits for nothing, started with the cluster, before check's inputs are ready."""

    def check(self, run: RunT) -> Change:
        raise NotImplementedError

    def apply(self, run: RunT, change: Change) -> None:
        raise NotImplementedError


def prepares(step: Step[RunT]) -> bool:
    return type(step).prepare is not Step.prepare


def waits_for(steps: list[Step[RunT]], index: int, *, applying: bool) -> list[int]:
    """The earlier steps that step `index` waits for, when checking or when applying."""
    step = steps[index]
    if step.needs is None:
        return list(range(index))
    wanted = set(step.needs) | (set(step.after) if applying else set())
    if EVERY_EARLIER in wanted:
        return list(range(index))
    return [j for j in range(index) if wanted & set(steps[j].gives)]
