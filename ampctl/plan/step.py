"""The step protocol: describe yourself, check the world read-only, apply safely when re-run."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ampctl.provision.context import ClusterRun


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


class Step:
    """One unit of desired state. Subclasses set `title` and implement check and apply.

    check() makes only read calls and says what apply() would do; apply() must be safe to
    run again after a partial failure (it re-reads what it needs).
    """

    title: str = ""

    def check(self, run: ClusterRun) -> Change:
        raise NotImplementedError

    def apply(self, run: ClusterRun, change: Change) -> None:
        raise NotImplementedError
