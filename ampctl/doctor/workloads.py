"""Workloads: cost-analyzer and prometheus-server pods ready with the containers that matter (their claims and
scheduling: ampctl.doctor.scheduling)."""

from __future__ import annotations

from typing import Any

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.kubefacts import container, pod_template
from ampctl.doctor.model import Result, fail, ok, skip

KUBE = ("identity.kubernetes",)


def is_ready(pod: dict[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _why(pod: dict[str, Any]) -> str:
    status = pod.get("status") or {}
    for c in status.get("containerStatuses") or []:
        waiting = (c.get("state") or {}).get("waiting")
        if waiting:
            return f"container {c.get('name')} {waiting.get('reason', 'waiting')}"
    for c in status.get("conditions") or []:
        if c.get("status") == "False" and c.get("message"):
            return str(c["message"])
    return str(status.get("phase") or "not ready")


def _workload(facts: Facts, name: str, wanted: list[str]) -> Result:
    where = f"deployment {facts.namespace}/{name}"
    deploy = facts.deployment(name)
    if deploy is None:
        return fail(f"{where} not found", f"{facts.repair()} installs it")
    spec = pod_template(deploy)
    missing = [c for c in wanted if container(spec, c) is None]
    if missing:
        return fail(f"{where} has no {', '.join(missing)} container", f"{facts.repair()} (global.amp.enabled=true)")
    replicas = int((deploy.get("spec") or {}).get("replicas", 1) or 0)
    pods = facts.pods(deploy)
    ready = [p for p in pods if is_ready(p)]
    if replicas and len(ready) < replicas:
        late = [p for p in pods if not is_ready(p)]
        reason = f"; {late[0]['metadata']['name']}: {_why(late[0])}" if late else "; no pods"
        return fail(
            f"{len(ready)}/{replicas} pods ready{reason}",
            f"`kubectl -n {facts.namespace} describe pods -l app.kubernetes.io/instance={facts.options.release}`",
        )
    names = ", ".join(str(c.get("name")) for c in spec.get("containers") or [])
    return ok(f"{len(ready)}/{replicas} pods ready ({names})")


def cost_analyzer(facts: Facts, findings: Findings) -> Result:
    wanted = ["cost-model"] + (["sigv4proxy"] if facts.value("global.amp.enabled") is True else [])
    return _workload(facts, facts.fullname, wanted)


def prometheus_server(facts: Facts, findings: Findings) -> Result:
    if facts.value("global.prometheus.enabled") is False:
        return skip("the bundled Prometheus is disabled")
    return _workload(facts, facts.prometheus_name, ["prometheus-server"])


SPECS = [
    CheckSpec("workloads.cost-analyzer", "workloads", "cost-analyzer pods ready", cost_analyzer, KUBE),
    CheckSpec("workloads.prometheus-server", "workloads", "prometheus-server pods ready", prometheus_server, KUBE),
]
