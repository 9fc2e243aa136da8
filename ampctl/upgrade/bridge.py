"""The 2.9 bridge: a cluster goes to 3.x only once its finops-agent has run two days on 2.9.

How long: the bridge line's BRIDGE_TIME (ampctl.lines.v29: "The finops-agent must run for 2 days before upgrading to
3.x", kubecost/kubecost examples/README.md at v2.9.7); otherwise "the data of the current day (UTC) prior to the
upgrade may not be captured after the upgrade".

How long it has run: from the `metadata.creationTimestamp` of its Deployment `<release>-finopsagent` (set by the
Kubernetes API server when the object is created; Kubernetes API reference, ObjectMeta) to AWS's clock now (the
`Date` header of an AWS answer: ampctl.aws.clock), so neither depends on the operator's own clock. Where the
2.9 agent writes in the bucket is not public, so the bucket's contents are not the evidence: the Deployment is,
and doctor (which gates each wave) checks that the agent can reach the bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ampctl.lines.v29 import BRIDGE_TIME


@dataclass(frozen=True)
class Bridge:
    cluster: str
    since: datetime | None  # the finops-agent's Deployment was created then; None: it runs nowhere

    def ran(self, now: datetime) -> timedelta:
        return now - self.since if self.since is not None else timedelta(0)

    def crossed(self, now: datetime) -> bool:
        return self.since is not None and self.ran(now) >= BRIDGE_TIME

    def describe(self, now: datetime) -> str:
        if self.since is None:
            return f"{self.cluster}: no finops-agent runs (its Deployment is missing)"
        left = BRIDGE_TIME - self.ran(now)
        need = _hours(BRIDGE_TIME).removesuffix(".0h") + "h"
        return f"{self.cluster}: finops-agent has run {_hours(self.ran(now))} of {need} ({_hours(left)} to go)"


def _hours(span: timedelta) -> str:
    hours = max(0.0, span.total_seconds() / 3600)
    return f"{hours:.1f}h"


def since(kube: Any, namespace: str, release: str) -> datetime | None:
    """When the cluster's finops-agent Deployment was created (its name: the subchart's fullname, `<release>-
    finopsagent`, rendered by cost-analyzer 2.9.7)."""
    found = kube.read("deployment", namespace, f"{release}-finopsagent", group="apps")
    stamp = ((found or {}).get("metadata") or {}).get("creationTimestamp")
    if not stamp:
        return None
    return datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))


def not_crossed(bridges: list[Bridge], now: datetime) -> list[Bridge]:
    return [b for b in bridges if not b.crossed(now)]
