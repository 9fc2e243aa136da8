"""Reading YAML: PyYAML's safe loader, with libyaml's parser when PyYAML was built with it (several times faster
on the values and kubeconfig files read for every cluster; the same documents come out)."""

from __future__ import annotations

from typing import Any


def load(text: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
