"""The executor runs steps as a dependency graph: order kept, failures stop only what waits for them."""

from __future__ import annotations

import threading

import pytest

from ampctl.errors import AmpctlError, AmpctlErrors
from ampctl.plan import executor
from ampctl.plan.step import Change, Step


class Run:
    def __init__(self) -> None:
        self.checked: list[str] = []
        self.applied: list[str] = []
        self.lock = threading.Lock()
        self.events = {name: threading.Event() for name in "abcdef"}


class Probe(Step[Run]):
    """A step that records its calls; it can fail, or wait until another step has been checked."""

    def __init__(
        self,
        title: str,
        *,
        gives: tuple[str, ...] = (),
        needs: tuple[str, ...] | None = (),
        after: tuple[str, ...] = (),
        fail_check: bool = False,
        fail_apply: bool = False,
        wait_for: str | None = None,
        change: Change | None = None,
    ) -> None:
        self.title = title
        self.gives, self.needs, self.after = gives, needs, after
        self.fail_check, self.fail_apply, self.wait_for = fail_check, fail_apply, wait_for
        self.change = change or Change.create()

    def check(self, run: Run) -> Change:
        if self.wait_for:
            assert run.events[self.wait_for].wait(10), f"{self.title} waited in vain"
        with run.lock:
            run.checked.append(self.title)
        run.events[self.title].set()
        if self.fail_check:
            raise AmpctlError(f"{self.title} failed", "fix it")
        return self.change

    def apply(self, run: Run, change: Change) -> None:
        if self.fail_apply:
            raise AmpctlError(f"{self.title} could not be applied")
        with run.lock:
            run.applied.append(self.title)


def plan(steps: list[Step[Run]], name: str = "one") -> executor.ClusterPlan[Run]:
    (result,) = executor.plan([(name, Run)], lambda run: steps, parallel=4)
    return result


def test_plan_keeps_step_order_whatever_finishes_first() -> None:
    # a can only finish once f has been checked: f finishes first, the plan still lists a first.
    steps: list[Step[Run]] = [Probe("a", wait_for="f"), Probe("b"), Probe("f")]
    result = plan(steps)
    assert result.run is not None and result.run.checked[-1] == "a"
    assert [step.title for step, _ in result.steps] == ["a", "b", "f"]
    assert result.errors == []


def test_a_failed_check_skips_only_what_waits_for_it() -> None:
    steps: list[Step[Run]] = [
        Probe("a"),
        Probe("b", gives=("thing",), fail_check=True),
        Probe("c", needs=("thing",)),
        Probe("d"),
        Probe("e", needs=None),  # undeclared: waits for every earlier step
    ]
    result = plan(steps)
    assert result.run is not None
    assert sorted(result.run.checked) == ["a", "b", "d"]
    # The plan shows what a one-by-one run would: the steps before the first failure, then the failure.
    assert [step.title for step, _ in result.steps] == ["a"]
    assert result.error is not None and result.error.message == "b failed"


def test_every_failed_check_is_collected_in_step_order() -> None:
    result = plan([Probe("a", fail_check=True, wait_for="b"), Probe("b", fail_check=True)])
    assert [error.message for error in result.errors] == ["a failed", "b failed"]
    with pytest.raises(AmpctlErrors) as raised:
        executor.raise_errors([result])
    assert list(raised.value.errors) == ["one", "one (2)"]


def test_apply_runs_what_does_not_depend_on_a_failure() -> None:
    steps: list[Step[Run]] = [
        Probe("a", gives=("ns",), fail_apply=True),
        Probe("b", after=("ns",)),
        Probe("c"),
        Probe("d", change=Change.unchanged(), gives=("x",)),
        Probe("e", after=("x",)),
    ]
    result = plan(steps)
    executor.apply([result], parallel=1)
    assert result.run is not None
    assert sorted(result.run.applied) == ["c", "e"]
    assert [step.title for step, _ in result.applied] == ["c", "e"]
    assert result.error is not None and result.error.message == "a could not be applied"


def test_a_cluster_that_cannot_start_is_reported_and_others_go_on() -> None:
    def broken() -> Run:
        raise AmpctlError("no credentials", "log in")

    plans = executor.plan([("bad", broken), ("good", Run)], lambda run: [Probe("a")], parallel=2)
    assert [p.name for p in plans] == ["bad", "good"]
    assert plans[0].run is None and plans[0].error is not None and plans[0].error.message == "no credentials"
    assert plans[1].error is None and [step.title for step, _ in plans[1].steps] == ["a"]


def test_an_unexpected_exception_propagates() -> None:
    class Broken(Probe):
        def check(self, run: Run) -> Change:
            raise KeyError("bug")

    with pytest.raises(KeyError):
        plan([Broken("a"), Probe("b")])
