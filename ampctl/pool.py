"""The one bounded pool of threads a command runs its calls on, and `together` to fan out a few calls at once.

Every AWS client is made with as many connections as the pool has threads, and with adaptive retries, so a
fleet run does not throttle its own account (see aws/session.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

T = TypeVar("T")
WORKERS = 64

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def pool() -> ThreadPoolExecutor:
    """The pool of the process (its idle threads end with it)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="ampctl")
        return _pool


class _Claim(Generic[T]):
    def __init__(self, fn: Callable[[], T]) -> None:
        self.fn = fn
        self.future: Future[T] = Future()
        self._taken = threading.Lock()

    def run(self) -> None:
        if not self._taken.acquire(blocking=False):
            return
        try:
            self.future.set_result(self.fn())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller of together()
            self.future.set_exception(exc)


def together(fns: Sequence[Callable[[], T]]) -> list[T]:
    """Run the calls at once; their results in order, or the first one's exception once all have ended.

    Safe from inside a pool thread: the caller itself runs every call no pool thread has started yet, so it
    only ever waits for calls that are running.
    """
    if len(fns) <= 1:
        return [fn() for fn in fns]
    claims = [_Claim(fn) for fn in fns]
    for claim in claims[1:]:
        pool().submit(claim.run)
    for claim in claims:
        claim.run()
    errors = [exc for claim in claims if (exc := claim.future.exception()) is not None]
    if errors:
        raise errors[0]
    return [claim.future.result() for claim in claims]


def outcome(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | Exception:
    """fn's result, or the exception it raised: for a read made ahead of knowing whether it is needed, whose
    failure matters only when it is (see `known`)."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - handed back, raised by known() if the result is used
        return exc


def known(result: T | Exception) -> T:
    """The result `outcome` gave, raising the exception it caught."""
    if isinstance(result, Exception):
        raise result
    return result
