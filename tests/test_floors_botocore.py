"""Every AWS call in ampctl's source, checked against botocore's models at the lowest botocore allowed.

scripts/floors.sh runs a flow at the floors, where botocore validates each request against its model; this covers
every call statically, also on paths that flow does not take: `client.op(Param=...)`, an operation handed to a
helper (`done_if_gone(iam.delete_role, RoleName=...)`), `get_paginator("op").paginate(...)`, operations named in
strings; parameter names, dict literal keys (also built in a variable), literal types, required members (by the
floor's model: ParamValidator refuses what it lacks) and enum values (by the newest model: botocore does not check
them, AWS does). Response fields ampctl reads must be in the floor's model too: botocore's parsers keep only the
model's members (botocore/parsers.py, BaseJSONParser._handle_structure), so a newer field reads as missing.
The floor's models come from .venv-floors (scripts/floors.sh --install-only); without it the test is skipped, or
fails under AMPCTL_FLOORS_REQUIRED=1 (as scripts/test.sh runs it).
"""

from __future__ import annotations

import ast
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ampctl"
FLOORS = ROOT / ".venv-floors"


def _sources() -> list[Path]:
    # The sandbox emulates AWS; it is not a client of it.
    return sorted(p for p in PACKAGE.rglob("*.py") if "sandbox" not in p.relative_to(PACKAGE).parts)


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text())


def _services() -> set[str]:
    """The services ampctl makes clients for: every `client("x")` / `workspace_client("x")`."""
    found = set()
    for path in _sources():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name in {"client", "workspace_client"} and isinstance(node.args[0].value, str):
                    found.add(node.args[0].value)
    return found


@dataclass
class Site:
    where: str
    op: str  # python name, e.g. create_bucket
    params: dict[str, ast.expr] = field(default_factory=dict)
    complete: bool = True  # every parameter is known (no unresolved **spread, not forwarded by a helper)
    paginated: bool = False


def _local_dicts(func: ast.AST) -> dict[str, tuple[dict[str, ast.expr], bool]]:
    """Names bound to dict literals in a function: {name: ({key: value}, every key known)}."""
    found: dict[str, tuple[dict[str, ast.expr], bool]] = {}
    for node in ast.walk(func):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Dict):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = _dict_items(node.value)
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
            sub = node.targets[0]
            if isinstance(sub.value, ast.Name) and sub.value.id in found and isinstance(sub.slice, ast.Constant):
                found[sub.value.id][0][str(sub.slice.value)] = node.value
    return found


def _dict_items(node: ast.Dict) -> tuple[dict[str, ast.expr], bool]:
    """({constant key: value}, every key known: no **spread, no computed key)."""
    pairs = [(k.value, v) for k, v in zip(node.keys, node.values, strict=True) if isinstance(k, ast.Constant)]
    return {str(k): v for k, v in pairs}, len(pairs) == len(node.keys)


def _sites(path: Path, ops: set[str]) -> tuple[list[Site], set[str], set[str]]:
    """(call sites, operations named in strings, string keys read with x["k"] / x.get("k"): the fields of
    responses ampctl reads are among them)."""
    tree = _tree(path)
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    imported = {a.asname or a.name.split(".")[0] for n in imports for a in n.names}
    sites: list[Site] = []
    named: set[str] = set()
    keys: set[str] = set()
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    module_level = ast.Module(body=[n for n in tree.body if not isinstance(n, defs)], type_ignores=[])
    funcs = [n for n in ast.walk(tree) if isinstance(n, defs[:2])]
    for func in [module_level, *funcs]:
        local = {**_local_dicts(module_level), **_local_dicts(func)}
        for node in ast.walk(func):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in ops:
                named.add(node.value)
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                keys.add(str(node.slice.value))
            if not isinstance(node, ast.Call):
                continue
            func_attr = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if func_attr == "get" and node.args and isinstance(node.args[0], ast.Constant):
                keys.add(str(node.args[0].value))
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            site = None
            if func_attr in ops and isinstance(node.func, ast.Attribute):
                receiver = node.func.value
                if not (isinstance(receiver, ast.Name) and receiver.id in imported):
                    site = Site(where, func_attr, complete=not node.args)
            elif func_attr == "paginate" and isinstance(node.func, ast.Attribute):
                inner = node.func.value
                if isinstance(inner, ast.Call) and inner.args and isinstance(inner.args[0], ast.Constant):
                    site = Site(where, str(inner.args[0].value), paginated=True)
            else:
                refs = [a.attr for a in node.args if isinstance(a, ast.Attribute) and a.attr in ops]
                if refs:
                    site = Site(where, refs[0], complete=False)
            if site is None:
                continue
            for kw in node.keywords:
                if kw.arg is not None:
                    site.params[kw.arg] = kw.value
                elif isinstance(kw.value, ast.Name) and kw.value.id in local:
                    items, known = local[kw.value.id]
                    site.params.update(items)
                    site.complete = site.complete and known
                else:
                    site.complete = False
            site.params = {k: _resolve(v, local) for k, v in site.params.items()}
            sites.append(site)
    return sites, named, keys


def _resolve(node: ast.expr, local: dict[str, tuple[dict[str, ast.expr], bool]]) -> Any:
    """A parameter's value as far as the source shows it: a dict literal (or a local bound to one) becomes
    a dict of resolved values, lists become lists, constants stay; anything else is None (not judged)."""
    if isinstance(node, ast.Name) and node.id in local:
        items, known = local[node.id]
        return ({k: _resolve(v, local) for k, v in items.items()}, known)
    if isinstance(node, ast.Dict):
        items, known = _dict_items(node)
        return ({k: _resolve(v, local) for k, v in items.items()}, known)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_resolve(e, local) for e in node.elts]
    if isinstance(node, ast.ListComp):
        return [_resolve(node.elt, local)]
    if isinstance(node, ast.Constant):
        return node
    return None


TYPES = {"string": str, "boolean": bool, "integer": int, "long": int, "blob": (str, bytes)}


def _judge(value: Any, shape: Any, path: str, enums: bool) -> list[str]:
    if value is None:
        return []
    if isinstance(value, ast.Constant):
        want, got = TYPES.get(shape.type_name), value.value
        if want and (not isinstance(got, want) or isinstance(got, bool) != (shape.type_name == "boolean")):
            return [f"{path}: {got!r} is not a {shape.type_name}"]
        enum = getattr(shape, "enum", None)
        if enums and enum and got not in enum:
            return [f"{path}: {got!r} is not one of {enum}"]
        return []
    if isinstance(value, list):
        if shape.type_name != "list":
            return [f"{path}: a list where the model has a {shape.type_name}"]
        return [e for i, v in enumerate(value) for e in _judge(v, shape.member, f"{path}[{i}]", enums)]
    items, known = value
    if shape.type_name == "map":
        return []
    if shape.type_name != "structure":
        return [f"{path}: a dict where the model has a {shape.type_name}"]
    unknown = [k for k in items if k not in shape.members]
    errors = [f"{path}: unknown member {k!r}, the model has {sorted(shape.members)}" for k in unknown]
    for k, v in items.items():
        if k in shape.members:
            errors += _judge(v, shape.members[k], f"{path}.{k}", enums)
    if known:
        errors += [f"{path}: required member {r!r} missing" for r in shape.required_members if r not in items]
    return errors


def _judge_site(site: Site, model: Any, enums: bool) -> list[str] | None:
    """Errors of a call against one service's model, or None when the service has no such operation."""
    from botocore import xform_name

    op = next((o for o in model.operation_names if xform_name(o) == site.op), None)
    if op is None:
        return None
    shape = model.operation_model(op).input_shape
    if shape is None:
        return [f"{op} takes no parameters"] if site.params else []
    return _judge((site.params, site.complete), shape, op, enums)


def _floor_data() -> Path:
    found = sorted(FLOORS.glob("lib/python*/site-packages/botocore/data"))
    if not found:
        if os.environ.get("AMPCTL_FLOORS_REQUIRED"):
            pytest.fail(f"no botocore in {FLOORS}: run scripts/floors.sh --install-only")
        pytest.skip(f"no botocore in {FLOORS}: scripts/floors.sh --install-only builds it")
    return found[0]


def _loader(data: Path | None) -> Any:
    from botocore.loaders import Loader

    return Loader() if data is None else Loader(extra_search_paths=[str(data)], include_default_search_paths=False)


def _models(data: Path | None, services: set[str]) -> dict[str, Any]:
    from botocore.model import ServiceModel

    loader = _loader(data)
    return {s: ServiceModel(loader.load_service_model(s, "service-2"), s) for s in sorted(services)}


def _output_members(models: dict[str, Any], ops: set[str]) -> set[str]:
    """The member names of every shape in the responses of these operations (python names)."""
    from botocore import xform_name

    names: set[str] = set()
    seen: set[str] = set()

    def walk(shape: Any) -> None:
        if shape is None or shape.name in seen:
            return
        seen.add(shape.name)
        for name, member in getattr(shape, "members", {}).items():
            names.add(name)
            walk(member)
        walk(getattr(shape, "member", None))
        walk(getattr(shape, "value", None))

    for model in models.values():
        for op in model.operation_names:
            if xform_name(op) in ops:
                walk(model.operation_model(op).output_shape)
    return names


@functools.cache
def _paginators(data: Path | None, service: str) -> set[str]:
    from botocore import xform_name
    from botocore.exceptions import DataNotFoundError

    try:
        return {xform_name(op) for op in _loader(data).load_service_model(service, "paginators-1")["pagination"]}
    except DataNotFoundError:
        return set()


def problems(data: Path | None) -> list[str]:
    """Every way ampctl's calls differ from the models in `data` (a botocore data directory; None: the
    installed botocore's). Enum values are judged by the installed (newest) botocore's model."""
    from botocore import xform_name

    services = _services()
    newest, floor = _models(None, services), _models(data, services)
    ops = {xform_name(o) for m in newest.values() for o in m.operation_names}
    found: list[str] = []
    named: set[str] = set()
    keys: set[str] = set()
    for path in _sources():
        sites, in_strings, read = _sites(path, ops)
        named |= in_strings | {site.op for site in sites}
        if sites or in_strings:  # a module that calls AWS (the others read Kubernetes objects and files)
            keys |= read
        for site in sites:
            judged = [
                (errors or []) + (_judge_site(site, newest[s], enums=True) or [])
                for s in sorted(services)
                if (errors := _judge_site(site, floor[s], enums=False)) is not None
            ]
            if not judged:
                found.append(f"{site.where}: {site.op}: not an operation of botocore's floor models")
            elif all(judged):
                found += [f"{site.where}: {e}" for e in judged[0]]
            if site.paginated and not any(site.op in _paginators(data, s) for s in services):
                found.append(f"{site.where}: {site.op}: the floor's botocore cannot paginate it")
    floor_ops = {xform_name(o) for m in floor.values() for o in m.operation_names}
    found += [f"operation {op!r} (named in a string) is not in the floor's models" for op in sorted(named - floor_ops)]
    newer = (_output_members(newest, named) - _output_members(floor, named)) & keys
    found += [f"ampctl reads {k!r}, a field the floor's botocore drops from responses" for k in sorted(newer)]
    return sorted(set(found))  # a function nested in another is walked with both


def test_every_call_fits_the_floor_botocore_models() -> None:
    assert problems(_floor_data()) == []


def test_every_call_fits_the_installed_botocore_models() -> None:
    assert {"amp", "eks", "iam", "s3", "sts"} <= _services()  # the collector finds ampctl's clients
    assert problems(None) == []
