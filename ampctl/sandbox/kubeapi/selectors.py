"""Label and field selectors, in the string form of `?labelSelector=` and as `spec.selector` objects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ampctl.sandbox.kubeapi.status import bad_request

_KEY = r"[A-Za-z0-9](?:[-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_EXISTS = re.compile(rf"^(!?)\s*({_KEY})$")
_EQUALITY = re.compile(rf"^({_KEY})\s*(==|=|!=)\s*({_VALUE})$")
_SET = re.compile(rf"^({_KEY})\s+(in|notin)\s*\((.*)\)$")
_COMPARE = re.compile(rf"^({_KEY})\s*([<>])\s*(-?\d+)$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "in", "notin", "exists", "!exists", "gt", "lt"
    values: frozenset[str] = frozenset()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        if self.op == "in":
            return present and labels[self.key] in self.values
        if self.op == "notin":
            return not present or labels[self.key] not in self.values
        if not present:
            return False
        try:
            have = int(labels[self.key])
        except ValueError:
            return False
        bound = int(next(iter(self.values)))
        return have > bound if self.op == "gt" else have < bound


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()
    match_nothing: bool = False

    def matches(self, labels: dict[str, str] | None) -> bool:
        if self.match_nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements and not self.match_nothing


def _split_terms(text: str) -> list[str]:
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    terms.append("".join(current).strip())
    return [t for t in terms if t]


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `a=b,c!=d,e in (f,g),!h` into a selector; a syntax error is a 400 like the real API."""
    if not text or not text.strip():
        return LabelSelector()
    requirements = []
    for term in _split_terms(text):
        if m := _SET.match(term):
            values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
            requirements.append(Requirement(m.group(1), m.group(2), values))
        elif m := _EQUALITY.match(term):
            op = "notin" if m.group(2) == "!=" else "in"
            requirements.append(Requirement(m.group(1), op, frozenset([m.group(3)])))
        elif m := _EXISTS.match(term):
            requirements.append(Requirement(m.group(2), "!exists" if m.group(1) else "exists"))
        elif m := _COMPARE.match(term):
            requirements.append(Requirement(m.group(1), "gt" if m.group(2) == ">" else "lt", frozenset([m.group(3)])))
        else:
            raise bad_request(f"unable to parse requirement: invalid label selector: {term!r}")
    return LabelSelector(tuple(requirements))


_EXPRESSION_OPS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}


def from_label_selector_object(selector: dict[str, Any] | None) -> LabelSelector:
    """`{matchLabels, matchExpressions}` as in a Deployment's `spec.selector`; None matches nothing."""
    if selector is None:
        return LabelSelector(match_nothing=True)
    requirements = [Requirement(k, "in", frozenset([str(v)])) for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        op = _EXPRESSION_OPS.get(expr.get("operator", ""))
        if op is None:
            raise bad_request(f"invalid selector operator {expr.get('operator')!r}")
        requirements.append(Requirement(expr.get("key", ""), op, frozenset(expr.get("values") or [])))
    return LabelSelector(tuple(requirements))


@dataclass(frozen=True)
class FieldSelector:
    terms: tuple[tuple[str, bool, str], ...] = ()  # (path, equal, value)

    def matches(self, obj: dict[str, Any]) -> bool:
        return all((_field(obj, path) == value) == equal for path, equal, value in self.terms)

    @property
    def empty(self) -> bool:
        return not self.terms


def _field(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_field_selector(text: str | None) -> FieldSelector:
    """`metadata.name=x,metadata.namespace!=y`; other dotted paths are looked up in the object."""
    if not text or not text.strip():
        return FieldSelector()
    terms = []
    for term in text.split(","):
        term = term.strip()
        if not term:
            continue
        m = re.match(r"^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$", term)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        terms.append((m.group(1), m.group(2) != "!=", m.group(3).strip()))
    return FieldSelector(tuple(terms))
