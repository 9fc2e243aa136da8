"""The chart lines are modules (ampctl.lines): every supported version belongs to exactly one, and no module outside
them and the version table (ampctl.versions) knows a line by its name or its versions."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from ampctl.lines.base import Line
from ampctl.versions import LINES, REFUSED, RELEASED, chart_line, check_usable, line_of, show

PACKAGE = Path(__file__).resolve().parent.parent / "ampctl"
LINE_DIR = PACKAGE / "lines"
MODULES = sorted(p.stem for p in LINE_DIR.glob("v*.py"))
# The line names as literals: only the line modules and the version table may spell them.
NAMES = {line.name for line in LINES} | {line.family for line in LINES}
ALLOWED = {LINE_DIR, PACKAGE / "versions.py"}


def _line_module(name: str) -> Line:
    found = importlib.import_module(f"ampctl.lines.{name}").LINE
    assert isinstance(found, Line), f"ampctl.lines.{name}.LINE is not a Line"
    return found


def test_each_line_module_defines_one_line_and_the_table_uses_them_all() -> None:
    assert MODULES, "no line modules found"
    by_module = {name: _line_module(name) for name in MODULES}
    assert set(LINES) == set(by_module.values()), "the version table and the line modules disagree"
    assert len({line.name for line in LINES}) == len(LINES), "two lines share a name"


def test_every_released_version_belongs_to_exactly_one_line_module() -> None:
    lines = {name: _line_module(name) for name in MODULES}
    for version in RELEASED:
        line = chart_line(show(version))
        owners = [name for name, candidate in lines.items() if candidate is line]
        assert len(owners) == 1, f"{show(version)} belongs to {owners}"
        assert line_of(show(version)) is line  # the lenient lookup agrees on every released version


def test_a_lines_versions_are_contiguous_in_the_table() -> None:
    """Adding a line adds its versions at one place: no line's versions are interleaved with another's."""
    order = [chart_line(show(v)) for v in RELEASED]
    runs = [line for i, line in enumerate(order) if i == 0 or order[i - 1] is not line]
    assert len(runs) == len(LINES) and set(runs) == set(LINES)


def test_each_refused_version_is_released_and_refused_by_its_own_line() -> None:
    for line in LINES:
        for version, why in line.refused.items():
            assert version in RELEASED and chart_line(show(version)) is line
            assert REFUSED[version] == why and "\n" not in why
            with pytest.raises(Exception, match="cannot run"):
                check_usable(show(version))


def _python_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if not any(p == a or a in p.parents for a in ALLOWED))


def _is_version_tuple(node: ast.AST) -> bool:
    """A literal like (2, 9) or (3, 0, 0): a chart version's parts, its minor within (or just past) the released
    minors of its major (so (1, 9), an aws-sigv4-proxy version, or (1, 22), a Kubernetes one, are not)."""
    if not isinstance(node, ast.Tuple) or not 2 <= len(node.elts) <= 3:
        return False
    parts = [e.value for e in node.elts if isinstance(e, ast.Constant) and type(e.value) is int]
    if len(parts) != len(node.elts):
        return False
    minors = [v[1] for v in RELEASED if v[0] == parts[0]]
    return bool(minors) and min(minors) <= parts[1] <= max(minors) + 1


def _parsed_part(node: ast.AST) -> bool:
    """parse_version(...)[i], version.split(".")[i] or a name `major`/`minor`: a chart version's parts."""
    if isinstance(node, ast.Name):
        return node.id in {"major", "minor"}
    if not isinstance(node, ast.Subscript) or not isinstance(node.value, ast.Call):
        return False
    call = node.value
    if isinstance(call.func, ast.Name):
        return call.func.id == "parse_version"
    if isinstance(call.func, ast.Attribute):
        dot = [a for a in call.args if isinstance(a, ast.Constant) and a.value == "."]
        return call.func.attr == "parse_version" or (call.func.attr == "split" and bool(dot))
    return False


def _findings(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in NAMES:
            found.append(f"{where}: the line name {node.value!r}")
        elif isinstance(node, ast.Name) and node.id == "ChartLine":
            found.append(f"{where}: ChartLine")
        elif isinstance(node, ast.Attribute) and node.attr == "LINE":
            found.append(f"{where}: a line module's LINE")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_version_tuple(s) for s in sides):
                found.append(f"{where}: a comparison with a chart version")
            elif any(_parsed_part(s) for s in sides) and any(isinstance(s, ast.Constant) for s in sides):
                found.append(f"{where}: a comparison of a chart version's part with a literal")
    return found


def test_no_module_outside_the_lines_and_the_version_table_branches_on_a_line() -> None:
    """Adding the next line touches its module and the version table only: everything else asks the line object
    (ampctl.versions.chart_line / line_of / recorded) for what it needs."""
    root = PACKAGE.parent
    found = [f for path in _python_files() for f in _findings(path.read_text(), str(path.relative_to(root)))]
    assert found == [], "\n".join(found)


def test_the_static_check_sees_each_kind_of_branch() -> None:
    """The check above would catch the branches it forbids (so an empty result means something)."""
    code = (
        'a = line == "3.x"\nb = ChartLine.KUBECOST_3X\nc = x is v3.LINE\nd = (major, minor) >= (2, 9)\n'
        'e = parse_version(v)[0] < 3\nf = str(v).split(".")[0] == "3"\ng = major == 1\n'
    )
    found = _findings(code + 'h = version >= (1, 9)\ni = "a" in accept.split("b")[0]\n', "sample")
    assert [f.split(": ", 1)[1] for f in found].count("a comparison of a chart version's part with a literal") == 3
    assert len(found) == 7, found
