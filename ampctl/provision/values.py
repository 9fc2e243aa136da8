"""Helm values: the rendered files, the user's extra files and --set, merged in helm's order."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from ampctl import yamltext
from ampctl.errors import AmpctlError


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of values files: maps merge recursively, everything else is replaced."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _typed(text: str) -> Any:
    if text in {"true", "false"}:
        return text == "true"
    if text == "null":
        return None
    if re.fullmatch(r"-?(0|[1-9]\d*)", text):
        return int(text)
    return text


def parse_set(expression: str) -> dict[str, Any]:
    """One `--set a.b=c,d=e` expression, typed like helm's strvals for scalars."""
    result: dict[str, Any] = {}
    for part in re.split(r"(?<!\\),", expression):
        if "=" not in part:
            raise AmpctlError(f"--set {expression!r}: expected key=value", "write --set path.to.key=value")
        key, value = part.split("=", 1)
        path = [k.replace("\\.", ".") for k in re.split(r"(?<!\\)\.", key)]
        if not all(path):
            raise AmpctlError(f"--set {expression!r}: empty key segment", "write --set path.to.key=value")
        node = result
        for segment in path[:-1]:
            node = node.setdefault(segment, {})
        node[path[-1]] = _typed(value.replace("\\,", ","))
    return result


def yaml_problem(path: str, exc: Exception) -> str:
    """A YAML error on one line: `file:line:col: what`."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path
    what = " ".join(str(getattr(exc, "problem", None) or exc).split())
    context = getattr(exc, "context", None)
    return f"{where}: {what}" + (f" ({' '.join(str(context).split())})" if context else "")


def load_values_file(path: str) -> dict[str, Any]:
    import yaml

    try:
        data = yamltext.load(Path(path).read_text())
    except OSError as exc:
        raise AmpctlError(f"cannot read values file {path}: {exc.strerror}", "check the --values path") from exc
    except yaml.YAMLError as exc:
        raise AmpctlError(yaml_problem(path, exc), "fix the YAML in this values file") from exc
    except UnicodeDecodeError as exc:
        raise AmpctlError(f"values file {path} is not UTF-8 text", "pass a YAML values file") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AmpctlError(f"values file {path} must hold a mapping, not {type(data).__name__}", "fix the file")
    return data


def merged(rendered: list[str], extra_files: tuple[str, ...], set_values: tuple[str, ...]) -> dict[str, Any]:

    values: dict[str, Any] = {}
    for text in rendered:
        values = deep_merge(values, yamltext.load(text) or {})
    for path in extra_files:
        values = deep_merge(values, load_values_file(path))
    for expression in set_values:
        values = deep_merge(values, parse_set(expression))
    # Compare and send as JSON so both sides have the same scalar types.
    result: dict[str, Any] = json.loads(json.dumps(values))
    return result


def diff_keys(current: Any, desired: Any, prefix: str = "") -> list[str]:
    if isinstance(current, dict) and isinstance(desired, dict):
        keys = sorted(set(current) | set(desired))
        out: list[str] = []
        for key in keys:
            out += diff_keys(current.get(key), desired.get(key), f"{prefix}{key}.")
        return out
    return [] if current == desired else [prefix.rstrip(".")]


def listed(keys: list[str], limit: int) -> str:
    """The first `limit` keys, and how many more."""
    return ", ".join(keys[:limit]) + (f" and {len(keys) - limit} more" if len(keys) > limit else "")
