"""Load the heavy client libraries a command is about to use in a background thread.

The Kubernetes client alone costs about half a second of CPU to import; loaded while the first AWS calls
wait on the network, it is ready when the first Kubernetes step runs instead of delaying it.
"""

from __future__ import annotations

import contextlib
import importlib
import threading

KUBERNETES = ("kubernetes.config", "kubernetes.client.api.core_v1_api", "kubernetes.client.api.apps_v1_api")
HELM = ("pyhelm3",)
TEMPLATES = ("jinja2",)


def start(*groups: tuple[str, ...]) -> None:
    modules = [name for group in groups for name in group]

    def load() -> None:
        for name in modules:
            with contextlib.suppress(Exception):  # the real import, later, reports any failure
                importlib.import_module(name)

    threading.Thread(target=load, daemon=True, name="ampctl-warm").start()
