"""Run tasks as soon as the tasks they wait for are done, on one bounded pool for the whole command.

No task ever waits on another inside the pool (the graph submits a task only once it is ready), so one
pool serves every cluster and every step without deadlock. Tasks belong to a group (a cluster); at most
`groups` groups run at once (`--parallel`), the others start, in order, as earlier ones finish.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from enum import Enum

from ampctl.pool import pool


class Failed(Exception):
    """Raised by a task whose failure is already recorded: the tasks that wait for it are skipped."""


class State(Enum):
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class Task:
    def __init__(self, fn: Callable[[], object], group: str) -> None:
        self.fn = fn
        self.group = group
        self.state = State.WAITING
        self.waiting_on = 0
        self.blocked = False
        self.dependents: list[Task] = []

    @property
    def finished(self) -> bool:
        return self.state is not State.WAITING


class Graph:
    def __init__(self, groups: int = 0) -> None:
        self._cond = threading.Condition()
        self._limit = groups
        self._open = 0
        self._count: dict[str, int] = {}
        self._admitted: set[str] = set()
        self._held: dict[str, list[Task]] = {}
        self._error: BaseException | None = None

    def add(self, fn: Callable[[], object], after: Sequence[Task] = (), group: str = "") -> Task:
        """Add a task (also from inside a running task); it starts once every task in `after` is done."""
        task = Task(fn, group)
        with self._cond:
            self._open += 1
            self._count[group] = self._count.get(group, 0) + 1
            for dep in after:
                if dep.finished:
                    task.blocked |= dep.state is not State.DONE
                else:
                    task.waiting_on += 1
                    dep.dependents.append(task)
            if task.waiting_on == 0:
                self._ready(task)
        return task

    def run(self) -> None:
        """Wait until every task has finished; re-raise the first unexpected exception."""
        with self._cond:
            while self._open:
                self._cond.wait()
            if self._error is not None:
                raise self._error

    def _ready(self, task: Task) -> None:
        if task.blocked or self._error is not None:
            self._finish(task, State.SKIPPED)
        elif not self._limit or task.group in self._admitted or len(self._admitted) < self._limit:
            self._admitted.add(task.group)
            pool().submit(self._run, task)
        else:
            self._held.setdefault(task.group, []).append(task)

    def _run(self, task: Task) -> None:
        state = State.DONE
        try:
            task.fn()
        except Failed:
            state = State.FAILED
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that waits in run()
            state = State.FAILED
            with self._cond:
                self._error = self._error or exc
        with self._cond:
            self._finish(task, state)

    def _finish(self, task: Task, state: State) -> None:
        task.state = state
        for dependent in task.dependents:
            dependent.blocked |= state is not State.DONE
            dependent.waiting_on -= 1
            if dependent.waiting_on == 0:
                self._ready(dependent)
        self._count[task.group] -= 1
        if self._count[task.group] == 0 and task.group in self._admitted:
            self._admitted.discard(task.group)
            for group in list(self._held):
                if len(self._admitted) >= self._limit:
                    break
                for held in self._held.pop(group):
                    self._ready(held)
        self._open -= 1
        self._cond.notify_all()
