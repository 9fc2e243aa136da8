"""Load the heavy client libraries a command is about to use in a background thread.

The Kubernetes client and pyhelm3 cost about 0.4 s of CPU to import. Loaded while the first AWS calls wait on
the network, they are ready when the first Kubernetes and helm steps run instead of delaying them. The loading
begins once the first AWS request has left: begun earlier, it would take turns on the interpreter with the
imports and client set-up that request itself waits for.

Code about to import one of these libraries calls `loaded` first: two threads importing one package at once
can deadlock on its import locks (Python then raises _DeadlockError in one of them).
"""

from __future__ import annotations

import contextlib
import importlib
import threading

KUBERNETES = ("kubernetes.config", "kubernetes.client.api.core_v1_api", "kubernetes.client.api.apps_v1_api")
HELM = ("pyhelm3",)
TEMPLATES = ("jinja2",)
FIRST_REQUEST_WAIT = 0.5  # seconds: a command whose first call is not to AWS does not wait longer

_sent = threading.Event()
_loading: dict[threading.Thread, tuple[str, ...]] = {}
_lock = threading.Lock()


def request_sent(**_: object) -> None:
    """Called as each AWS request leaves (a botocore `before-send` handler)."""
    _sent.set()


def after_first_request() -> None:
    """Wait (briefly) until the first AWS request has left: CPU-bound work started now would delay it."""
    _sent.wait(FIRST_REQUEST_WAIT)


def start(*groups: tuple[str, ...]) -> None:
    modules = tuple(name for group in groups for name in group)

    def load() -> None:
        after_first_request()
        for name in modules:
            with contextlib.suppress(Exception):  # the real import, later, reports any failure
                importlib.import_module(name)
        with _lock:
            _loading.pop(threading.current_thread(), None)

    thread = threading.Thread(target=load, daemon=True, name="ampctl-warm")
    with _lock:
        _loading[thread] = modules
    thread.start()


def loaded(group: tuple[str, ...]) -> None:
    """Return once `group` is not being loaded in the background (starting its loading now if it waits)."""
    with _lock:
        busy = [thread for thread, modules in _loading.items() if set(modules) & set(group)]
    if busy:
        _sent.set()  # nothing to wait for any more
    for thread in busy:
        if thread is not threading.current_thread():
            thread.join()
