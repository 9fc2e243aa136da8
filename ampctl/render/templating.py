"""The Jinja environment over the top-level templates/, and the rendered-file record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

SECRET_MODE = 0o600
SCRIPT_MODE = 0o755


@dataclass(frozen=True)
class RenderedFile:
    name: str  # relative path, '/'-separated
    content: str
    mode: int = 0o644


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    from ampctl import warm

    warm.loaded(warm.TEMPLATES)
    import jinja2

    from ampctl.resources import templates_dir

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["q"] = lambda value: json.dumps(str(value))  # a JSON string is a YAML double-quoted scalar
    return env


def render(template: str, **context: Any) -> str:
    return _env().get_template(template).render(**context)


def dump(*manifests: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump_all(manifests, sort_keys=False, default_flow_style=False)


class _Quoted(str):
    """A string value written double-quoted, so helm never reads an account id or a name as a number."""


def _quote_leaves(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _quote_leaves(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_quote_leaves(value) for value in node]
    return _Quoted(node) if isinstance(node, str) else node


def dump_values(tree: dict[str, Any]) -> str:
    """A Helm values tree as YAML, every string value double-quoted."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(_Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))
    return yaml.dump(_quote_leaves(tree), Dumper=Dumper, sort_keys=False, default_flow_style=False)
