"""The lowest versions pyproject.toml allows are real: they install together, and they have what ampctl uses.

scripts/floors.sh builds .venv-floors with every runtime dependency at its floor and runs the sandbox flow from
it; these tests check, without a sandbox, what that venv holds: the floors themselves, each floor meeting what
the other dependencies' floors require of it, and every name ampctl imports from a dependency (`from typer
import ...`, `typer.TyperException`, ...) present at the floor. Without .venv-floors they are skipped, or fail
under AMPCTL_FLOORS_REQUIRED=1 (scripts/test.sh builds it first).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ROOT / ".venv-floors"
# Top-level modules of the runtime dependencies (distribution name -> import name where they differ).
MODULES = {"typer", "rich", "boto3", "botocore", "kubernetes", "jinja2", "pyhelm3", "yaml"}


def _floors_script() -> object:
    spec = importlib.util.spec_from_file_location("floors", ROOT / "scripts" / "floors.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _site() -> Path:
    found = sorted(FLOORS.glob("lib/python*/site-packages"))
    if not found or not (FLOORS / "floors.txt").exists():
        if os.environ.get("AMPCTL_FLOORS_REQUIRED"):
            pytest.fail(f"no {FLOORS}: run scripts/floors.sh --install-only")
        pytest.skip(f"no {FLOORS}: scripts/floors.sh --install-only builds it")
    return found[0]


def _installed(site: Path) -> dict[str, tuple[str, list[str]]]:
    """{distribution name: (version, Requires-Dist lines)} in the floors venv."""
    from importlib.metadata import distributions

    return {
        (d.metadata["Name"] or "").lower().replace("_", "-"): (d.version, list(d.requires or []))
        for d in distributions(path=[str(site)])
    }


def test_every_runtime_dependency_declares_a_floor() -> None:
    floors = _floors_script().floors()  # type: ignore[attr-defined]
    assert set(floors) == {"typer", "rich", "boto3", "kubernetes", "jinja2", "pyhelm3", "pyyaml"}


def test_the_floors_venv_holds_the_floors() -> None:
    installed = _installed(_site())
    pins = dict(line.split("==") for line in (FLOORS / "floors.txt").read_text().split())
    assert pins == {**_floors_script().floors(), "botocore": pins["botocore"]}  # type: ignore[attr-defined]
    for name, floor in pins.items():
        assert Version(installed[name][0]) == Version(floor), name


def test_each_floor_meets_what_the_other_floors_require() -> None:
    """A floor below what another dependency's floor needs cannot be installed: pip takes a higher one, and the
    declared floor was never tested (typer 0.27.2 needs rich>=13.8.0, pyhelm3 0.5.8 needs pyyaml>=6.0.2)."""
    installed = _installed(_site())
    pins = dict(line.split("==") for line in (FLOORS / "floors.txt").read_text().split())
    wrong = []
    for name in pins:
        for req in map(Requirement, installed[name][1]):
            applies = req.marker is None or req.marker.evaluate({"extra": ""})
            if applies and req.name.lower() in pins and Version(pins[req.name.lower()]) not in req.specifier:
                wrong.append(f"{name} {pins[name]} requires {req}, the floor is {pins[req.name.lower()]}")
    assert wrong == []


def _names_used() -> list[tuple[str, str, str]]:
    """(where, dotted object, attribute) for every name ampctl takes from a runtime dependency."""
    used = []
    for path in sorted((ROOT / "ampctl").rglob("*.py")):
        tree = ast.parse(path.read_text())
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in MODULES:
                for a in node.names:
                    used.append((where, node.module, a.name))
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] in MODULES:
                        aliases[a.asname or a.name.split(".")[0]] = a.asname and a.name or a.name.split(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                used.append((f"{path.relative_to(ROOT)}:{node.lineno}", aliases[node.value.id], node.attr))
    return used


CHECK = """
import importlib, json, sys
missing = []
for where, dotted, attr in json.load(sys.stdin):
    parts = dotted.split(".")
    obj = None
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for p in parts[i:]:
                obj = getattr(obj, p)
        except AttributeError:
            obj = None
        break
    if obj is None or not hasattr(obj, attr):
        try:
            importlib.import_module(dotted + "." + attr)
        except ImportError:
            missing.append(f"{where}: {dotted}.{attr}")
print(json.dumps(missing))
"""


def test_every_name_ampctl_uses_exists_at_the_floors() -> None:
    _site()
    used = _names_used()
    assert any(u[1] == "typer" and u[2] == "TyperException" for u in used)  # the collector sees ampctl's uses
    got = subprocess.run(
        [str(FLOORS / "bin" / "python"), "-c", CHECK],
        input=json.dumps(sorted(set(used))),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(got.stdout) == []
