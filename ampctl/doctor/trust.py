"""Whether an IAM role's trust policy lets one service account assume it through the cluster's OIDC provider.

Pure: the document, the provider ARN, the issuer host and the service account's subject go in; the
problems (any one stops the pods from getting credentials) and the warnings (looser than needed) come out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from ampctl.documents import STS_AUDIENCE, parse_document

WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _allows_web_identity(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    return any(fnmatchcase(WEB_IDENTITY.lower(), a.lower()) for a in _list(statement.get("Action")))


def _statement(statement: dict[str, Any], provider_arn: str, host: str, subject: str) -> Verdict:
    verdict = Verdict()
    principal = statement.get("Principal") or {}
    federated = _list(principal.get("Federated")) if isinstance(principal, dict) else []
    if provider_arn not in federated:
        shown = ", ".join(federated) or "no federated principal"
        verdict.problems.append(f"trusts {shown}, not {provider_arn}")
    conditions = statement.get("Condition") or {}
    found: dict[str, tuple[str, list[str]]] = {}
    for operator, pairs in conditions.items():
        if not isinstance(pairs, dict):
            continue
        for key, values in pairs.items():
            issuer, _, claim = str(key).rpartition(":")
            if issuer.startswith("https://"):
                verdict.problems.append(f"condition key {key} starts with https:// (write {host}:{claim})")
                issuer = issuer[len("https://") :]
            elif issuer.startswith("arn:"):
                verdict.problems.append(f"condition key {key} is the provider ARN (write {host}:{claim})")
                issuer = issuer.rpartition("oidc-provider/")[2]
            if issuer != host:
                verdict.problems.append(f"condition key {key} names another issuer than {host}")
                continue
            found[claim] = (operator, _list(values))
    sub = found.get("sub")
    aud = found.get("aud")
    if sub and aud and STS_AUDIENCE in sub[1] and any(v.startswith("system:serviceaccount:") for v in aud[1]):
        verdict.problems.append("the sub and aud conditions are swapped")
        return verdict
    if sub is None:
        verdict.warnings.append("no sub condition: every service account of the cluster may assume the role")
    elif not _matches(sub, subject):
        verdict.problems.append(f"sub is {', '.join(sub[1])}, expected {subject}")
    if aud is None:
        verdict.warnings.append(f"no aud condition (expected {STS_AUDIENCE})")
    elif not _matches(aud, STS_AUDIENCE):
        verdict.problems.append(f"aud is {', '.join(aud[1])}, expected {STS_AUDIENCE}")
    return verdict


def _matches(condition: tuple[str, list[str]], wanted: str) -> bool:
    operator, values = condition
    if "Like" in operator:
        return any(fnmatchcase(wanted, v) for v in values)
    return wanted in values


def judge(document: dict[str, Any] | str, provider_arn: str, host: str, subject: str) -> Verdict:
    """The verdict of the best statement: one that works, else the one closest to working."""
    try:
        parsed = parse_document(document)
    except ValueError:
        return Verdict(problems=["the trust policy is not valid JSON"])
    statements = parsed.get("Statement") if isinstance(parsed, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    candidates = [s for s in statements or [] if isinstance(s, dict) and _allows_web_identity(s)]
    if not candidates:
        return Verdict(problems=[f"no statement allows {WEB_IDENTITY}"])
    verdicts = [_statement(s, provider_arn, host, subject) for s in candidates]
    return min(verdicts, key=lambda v: (len(v.problems), len(v.warnings)))
