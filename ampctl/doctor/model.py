"""What a check is and what it produces: plain data shared by every check group and the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Status(str, Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


# Areas in the order the report shows them.
AREAS = {
    "identity": "Identity & target",
    "irsa": "IRSA",
    "chain": "Role chain to the workspace account",
    "pod-identity": "EKS Pod Identity",
    "release": "Release & values",
    "workloads": "Workloads",
    "logs": "Logs",
    "federated": "Federated ETL",
    "kubecost3": "Kubecost 3.x",
    "promql": "PromQL",
    "fleet": "Fleet",
}


@dataclass(frozen=True)
class Result:
    """What one check found: its status, the evidence (one short line) and a one-line fix."""

    status: Status
    evidence: str
    fix: str = ""


def ok(evidence: str) -> Result:
    return Result(Status.PASS, evidence)


def warn(evidence: str, fix: str = "") -> Result:
    return Result(Status.WARN, evidence, fix)


def fail(evidence: str, fix: str) -> Result:
    return Result(Status.FAIL, evidence, fix)


def skip(reason: str) -> Result:
    return Result(Status.SKIP, reason)


@dataclass
class Check:
    id: str
    area: str
    title: str
    status: Status
    evidence: str
    fix: str = ""
    explained_by: str | None = None

    @property
    def broken(self) -> bool:
        """Failed, whether or not an earlier failure explains it."""
        return self.status is Status.FAIL or self.explained_by is not None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "area": self.area,
            "title": self.title,
            "status": self.status.value,
            "evidence": self.evidence,
            "fix": self.fix or None,
        }
        if self.explained_by:
            data["explained_by"] = self.explained_by
        return data


@dataclass
class Diagnosis:
    summary: str
    details: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary, "details": self.details, "fixes": self.fixes}


@dataclass
class ClusterReport:
    cluster: str
    context: str | None
    region: str | None
    checks: list[Check]
    diagnosis: Diagnosis | None = None
    mode: str | None = None  # federated / quick-start, from the release's values
    role: str | None = None  # primary / agent
    chart_version: str | None = None

    @property
    def failed(self) -> bool:
        return any(c.status is Status.FAIL for c in self.checks)

    def get(self, check_id: str) -> Check | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for c in self.checks if c.status is s) for s in Status}

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "context": self.context,
            "region": self.region,
            "ok": not self.failed,
            "mode": self.mode,
            "role": self.role,
            "chart_version": self.chart_version,
            "counts": self.counts(),
            "checks": [c.to_json() for c in self.checks],
            "diagnosis": self.diagnosis.to_json() if self.diagnosis else None,
        }
