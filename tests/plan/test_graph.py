"""The graph runs tasks once what they wait for is done, at most `groups` groups at once; together() fans out."""

from __future__ import annotations

import threading

import pytest

from ampctl.plan.graph import Failed, Graph
from ampctl.pool import together


def test_groups_beyond_the_limit_wait_for_an_earlier_group_to_finish() -> None:
    events: list[str] = []
    lock = threading.Lock()

    def record(what: str) -> None:
        with lock:
            events.append(what)

    graph = Graph(groups=1)
    first = graph.add(lambda: record("a1"), group="a")
    graph.add(lambda: record("a2"), [first], group="a")
    graph.add(lambda: record("b1"), group="b")
    graph.run()
    assert events == ["a1", "a2", "b1"]


def test_a_failed_task_skips_its_dependents_and_theirs() -> None:
    ran: list[str] = []

    def fail() -> None:
        raise Failed

    graph = Graph()
    bad = graph.add(fail)
    child = graph.add(lambda: ran.append("child"), [bad])
    graph.add(lambda: ran.append("grandchild"), [child])
    graph.add(lambda: ran.append("other"))
    graph.run()
    assert ran == ["other"]


def test_tasks_added_from_a_running_task_run_too() -> None:
    ran: list[str] = []
    graph = Graph(groups=1)

    def parent() -> None:
        graph.add(lambda: ran.append("child"), group="x")

    graph.add(parent, group="x")
    graph.add(lambda: ran.append("next group"), group="y")
    graph.run()
    assert ran == ["child", "next group"]


def test_together_returns_results_in_order_even_from_inside_the_pool() -> None:
    def inner(n: int) -> list[int]:
        return together([lambda i=i: i * n for i in range(5)])

    outer = together([lambda n=n: inner(n) for n in range(1, 40)])
    assert outer[0] == [0, 1, 2, 3, 4] and outer[-1] == [0, 39, 78, 117, 156]


def test_together_raises_the_first_failure_after_all_have_ended() -> None:
    done: list[int] = []

    def fail() -> int:
        raise ValueError("first")

    def ok() -> int:
        done.append(1)
        return 1

    with pytest.raises(ValueError, match="first"):
        together([fail, ok, ok])
    assert done == [1, 1]
