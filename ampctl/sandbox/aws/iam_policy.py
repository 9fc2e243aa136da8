"""IAM policy evaluation: pure functions over policy documents.

Semantics: a request is allowed when some statement allows it and none denies it (explicit Deny wins,
no statement means implicit deny). Actions match case-insensitively, resources case-sensitively, both
with `*` and `?` wildcards; NotAction and NotResource invert the match. A statement without Resource
(trust policies) applies to every resource.

Conditions: the String* operators (StringEquals, StringNotEquals, StringEqualsIgnoreCase,
StringNotEqualsIgnoreCase, StringLike, StringNotLike), the Arn* operators (ArnEquals, ArnLike, ArnNotEquals,
ArnNotLike: case-sensitive, with wildcards), Bool and Null, each with an optional
`IfExists` suffix and `ForAnyValue:`/`ForAllValues:` prefixes, are judged against the request
context. Condition keys match case-insensitively, as in IAM. A key missing from the context fails
a positive operator and satisfies a negated one, as in IAM. A statement that uses any other
operator (IpAddress, Date*, Numeric*, ...) cannot be judged here and is skipped, whether it
allows or denies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

Context = Mapping[str, str | list[str]]

_STRING_OPS = {
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "Bool",
    "Null",
    "ArnEquals",
    "ArnNotEquals",
    "ArnLike",
    "ArnNotLike",
}


class UnjudgeableCondition(Exception):
    pass


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return bool(_glob(pattern, ignore_case).match(value))


def _matches_any(patterns: Iterable[Any], value: str, ignore_case: bool) -> bool:
    return any(wildcard_match(str(p), value, ignore_case) for p in patterns)


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    if "Action" in statement:
        return _matches_any(as_list(statement["Action"]), action, True)
    if "NotAction" in statement:
        return not _matches_any(as_list(statement["NotAction"]), action, True)
    return False


def _resource_matches(statement: Mapping[str, Any], resource: str) -> bool:
    if "Resource" in statement:
        return _matches_any(as_list(statement["Resource"]), resource, False)
    if "NotResource" in statement:
        return not _matches_any(as_list(statement["NotResource"]), resource, False)
    return True


def principal_matches(statement: Mapping[str, Any], principal: tuple[str, str] | None) -> bool:
    """`principal` is `(type, value)`, e.g. `("Federated", provider_arn)`; None skips the check."""
    if principal is None:
        return True
    if "NotPrincipal" in statement:
        raise UnjudgeableCondition("NotPrincipal")
    declared = statement.get("Principal")
    if declared == "*":
        return True
    if not isinstance(declared, Mapping):
        return False
    kind, value = principal
    return any(p == "*" or p == value for p in as_list(declared.get(kind)))


def _lookup(context: Context, key: str) -> list[str] | None:
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return [str(v) for v in as_list(value)]
    return None


def _compare(op: str, expected: str, actual: str) -> bool:
    if op in ("StringEquals", "StringNotEquals"):
        return expected == actual
    if op in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return expected.lower() == actual.lower()
    if op in ("StringLike", "StringNotLike"):
        return wildcard_match(expected, actual)
    if op in ("ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"):
        # "Each of the six colon-delimited components of the ARN is checked separately and each can include
        # multi-character match wildcards (*) or single-character match wildcards (?)" (IAM User Guide, "IAM JSON
        # policy elements: Condition operators", "Amazon Resource Name (ARN) condition operators"). The sixth
        # component is the rest of the ARN, colons included.
        want, have = expected.split(":", 5), actual.split(":", 5)
        return len(want) == len(have) == 6 and all(wildcard_match(w, h) for w, h in zip(want, have, strict=True))
    if op == "Bool":
        return expected.lower() == actual.lower()
    raise UnjudgeableCondition(op)


def _condition_holds(operator: str, key: str, expected: list[str], context: Context) -> bool:
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    if op not in _STRING_OPS or qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise UnjudgeableCondition(operator)
    actual = _lookup(context, key)
    if op == "Null":
        return (actual is None) == (expected[0].lower() == "true") if expected else False
    negated = "Not" in op
    if actual is None:
        if if_exists or qualifier == "ForAllValues":
            return True
        return negated
    if qualifier == "ForAllValues":
        hits = [any(_compare(op, e, a) for e in expected) for a in actual]
        return all(not h for h in hits) if negated else all(hits)
    hit = any(_compare(op, e, a) for e in expected for a in actual)
    return not hit if negated else hit


def conditions_hold(condition: Mapping[str, Any] | None, context: Context) -> bool:
    """Every operator and every key must hold; the values listed for one key are alternatives."""
    for operator, block in (condition or {}).items():
        if not isinstance(block, Mapping):
            raise UnjudgeableCondition(operator)
        for key, values in block.items():
            if not _condition_holds(str(operator), str(key), [str(v) for v in as_list(values)], context):
                return False
    return True


def statements(documents: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for document in documents:
        for statement in as_list(document.get("Statement")):
            if isinstance(statement, Mapping):
                yield statement


def evaluate(
    documents: Iterable[Mapping[str, Any]],
    action: str,
    resource: str = "*",
    context: Context | None = None,
    principal: tuple[str, str] | None = None,
) -> str:
    """The decision: "Allow", "Deny" (an explicit deny) or "ImplicitDeny"."""
    allowed = False
    for statement in statements(documents):
        if not (_action_matches(statement, action) and _resource_matches(statement, resource)):
            continue
        try:
            if not principal_matches(statement, principal):
                continue
            if not conditions_hold(statement.get("Condition"), context or {}):
                continue
        except UnjudgeableCondition:
            continue
        effect = str(statement.get("Effect", ""))
        if effect == "Deny":
            return "Deny"
        if effect == "Allow":
            allowed = True
    return "Allow" if allowed else "ImplicitDeny"


def is_allowed(
    policy_documents: list[dict[str, Any]],
    action: str,
    resource: str,
    context: Context | None = None,
) -> bool:
    return evaluate(policy_documents, action, resource, context) == "Allow"
