"""The guide's PromQL checks, each run two ways: through Kubecost (the API server's service proxy to
cost-model's `/prometheusQuery`, which goes through the sigv4 proxy sidecar) and directly against the
workspace's query endpoint, SigV4-signed (service `aps`) with the operator's credentials.

For each query doctor asks how many series match and how old the newest sample is: data older than
--max-sample-age counts as missing, so a remote write that stopped is seen even though older samples
stay in AMP.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ampctl.doctor.checkspec import CheckSpec, bind
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings, LabelValues, Outcome
from ampctl.doctor.model import Result, Status, fail, ok, skip
from ampctl.doctor.options import format_age
from ampctl.doctor.text import tidy

METRICS = {"memory": "container_memory_working_set_bytes", "node-cost": "node_total_hourly_cost"}
TIMEOUT = 30.0
_SHOWN_VALUES = 4
_STAT = "ampctl_stat"  # the label that tells measure()'s two answers apart


class QueryError(Exception):
    pass


Runner = Callable[[str], list[dict]]


def selector(facts: Facts, metric: str) -> str:
    return f'{METRICS[metric]}{{{facts.id_label}="{facts.cluster_id}"}}'


def measure(run: Runner, query: str) -> Outcome:
    """How many series match and how old the newest sample is, asked in one query (two, each labelled)."""
    both = (
        f'label_replace(count({query}), "{_STAT}", "series", "", "") or '
        f'label_replace(max(timestamp({query})), "{_STAT}", "newest", "", "")'
    )
    try:
        found = {str(r["metric"].get(_STAT)): r["value"] for r in run(both)}
    except QueryError as exc:
        return Outcome(query, error=str(exc))
    if "series" not in found:
        return Outcome(query)
    evaluated, stamp = (float(v) for v in found["newest"]) if "newest" in found else (0.0, 0.0)
    return Outcome(query, series=int(float(found["series"][1])), age=max(0.0, evaluated - stamp))


def _parse(status: int, body: bytes) -> list[dict]:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if status == 200 and isinstance(data, dict) and data.get("status") == "success":
        return list((data.get("data") or {}).get("result") or [])
    message = ""
    if isinstance(data, dict):
        message = str(data.get("error") or data.get("message") or "")
    message = message or body.decode(errors="replace").strip() or "no body"
    raise QueryError(f"HTTP {status}: {tidy(message)}")


def direct(facts: Facts) -> Runner:
    """Queries straight to the workspace, signed with the operator's credentials."""
    from ampctl.aws.ampquery import fetch
    from ampctl.endpoints import amp_host

    ws = str(facts.workspace_id())

    def run(promql: str) -> list[dict]:
        try:
            status, body = fetch(facts.clients.workspace_aws, facts.region, ws, promql)
        except OSError as exc:
            raise QueryError(f"cannot reach {amp_host(facts.region)}: {exc}") from exc
        return _parse(status, body)

    return run


def via_kubecost(facts: Facts) -> Runner:
    from ampctl.kube import proxy

    service = f"{facts.fullname}:tcp-model"

    def run(promql: str) -> list[dict]:
        try:
            answer = proxy.get(
                facts.kube.api, facts.namespace, service, "prometheusQuery", [("query", promql)], TIMEOUT
            )
        except proxy.Unreachable as exc:
            raise QueryError(str(exc)) from exc
        return _parse(*answer)

    return run


def label_values(facts: Facts, findings: Findings, metric: str) -> LabelValues:
    """(value, series, age of the newest sample) of the cluster label on `metric`, newest first."""
    run = direct(facts)
    label, name = facts.id_label, METRICS[metric]
    try:
        counts = {r["metric"].get(label, ""): int(float(r["value"][1])) for r in run(f"count by ({label}) ({name})")}
        ages = {
            r["metric"].get(label, ""): float(r["value"][0]) - float(r["value"][1])
            for r in run(f"max by ({label}) (timestamp({name}))")
        }
    except QueryError:
        return []
    found = [(value, n, ages.get(value)) for value, n in counts.items()]
    found.sort(key=lambda row: (row[2] is None, row[2] or 0.0))
    findings.label_values[metric] = found
    return found


def _found_text(facts: Facts, findings: Findings, metric: str) -> str:
    rows = [r for r in label_values(facts, findings, metric) if r[0] != facts.cluster_id]
    if not rows:
        return f"; no {METRICS[metric]} under any {facts.id_label}"
    shown = [f'{facts.id_label}="{v or ""}" ({n} series, {format_age(a) if a is not None else "?"} old)'
             for v, n, a in rows[:_SHOWN_VALUES]]  # fmt: skip
    more = f" and {len(rows) - _SHOWN_VALUES} more" if len(rows) > _SHOWN_VALUES else ""
    return f"; found {', '.join(shown)}{more}"


def amp(facts: Facts, findings: Findings, metric: str) -> Result:
    max_age = facts.options.max_sample_age
    if facts.workspace_id() is None:
        return skip("the workspace is not ACTIVE yet")
    outcome = measure(direct(facts), selector(facts, metric))
    findings.queries[("amp", metric)] = outcome
    if outcome.fresh(max_age):
        return ok(f"{outcome.query}: {outcome.describe(max_age)}")
    if outcome.error:
        denied = "HTTP 403" in outcome.error
        return fail(
            f"{outcome.query}: {outcome.error}",
            "the credentials running doctor need aps:QueryMetrics on the workspace (AmazonPrometheusQueryAccess)"
            if denied else f"check the network path to aps-workspaces.{facts.region}.amazonaws.com",
        )  # fmt: skip
    return fail(
        f"{outcome.query}: {outcome.describe(max_age)}{_found_text(facts, findings, metric)}",
        "no fresh data in AMP: check prometheus-server's remote write (its role, remoteWriteService, its log); "
        "just after install, wait with --wait 15m",
    )


def kubecost(facts: Facts, findings: Findings, metric: str) -> Result:
    max_age = facts.options.max_sample_age
    outcome = measure(via_kubecost(facts), selector(facts, metric))
    findings.queries[("kubecost", metric)] = outcome
    if outcome.fresh(max_age):
        return ok(f"{outcome.query}: {outcome.describe(max_age)}")
    if outcome.error:
        return fail(
            f"{outcome.query}: {outcome.error}",
            "Kubecost cannot query AMP: see the sigv4proxy log, the cost-analyzer role and the sigV4Proxy values",
        )
    return fail(
        f"{outcome.query}: {outcome.describe(max_age)}",
        "Kubecost reaches AMP but finds no fresh data: compare with the direct query (promql.amp.*)",
    )


# Failures of these explain a failure of the direct query (write side) ...
WRITE_SIDE = (
    "identity.workspace", "irsa.oidc-provider", "irsa.prometheus-server.role", "irsa.prometheus-server.policies",
    "irsa.prometheus-server.annotation", "values.remote-write", "values.cluster-id", "workloads.prometheus-server",
    "chain.prometheus-server.assume", "chain.prometheus-server.trust", "chain.prometheus-server.policy", "chain.values",
    "pod-identity.agent", "pod-identity.prometheus-server.association", "pod-identity.prometheus-server.trust",
    "pod-identity.prometheus-server.annotation",
)  # fmt: skip
# ... and of these a failure of the query through Kubecost (read side).
READ_SIDE = (
    "identity.workspace", "irsa.oidc-provider", "irsa.cost-analyzer.role", "irsa.cost-analyzer.policies",
    "irsa.cost-analyzer.annotation", "values.query-endpoint", "values.sigv4-proxy",
    "chain.cost-analyzer.assume", "chain.cost-analyzer.trust", "chain.cost-analyzer.policy", "chain.values",
    "pod-identity.agent", "pod-identity.sigv4-proxy-image",
    "pod-identity.cost-analyzer.association", "pod-identity.cost-analyzer.trust",
    "pod-identity.cost-analyzer.annotation",
)  # fmt: skip


MISSING = (Status.FAIL, Status.WARN)  # no data (yet), or too old: what --wait waits out


def _specs() -> list[CheckSpec]:
    specs = []
    for metric, name in METRICS.items():
        specs.append(
            CheckSpec(
                f"promql.amp.{metric}", "promql", f"{name} in AMP (direct, SigV4)", bind(amp, metric),
                ("identity.workspace",), WRITE_SIDE, MISSING,
            )
        )  # fmt: skip
    for metric, name in METRICS.items():
        specs.append(
            CheckSpec(
                f"promql.kubecost.{metric}", "promql", f"{name} through Kubecost", bind(kubecost, metric),
                ("release.status", "workloads.cost-analyzer"), (*READ_SIDE, f"promql.amp.{metric}"), MISSING,
            )
        )  # fmt: skip
    return specs


SPECS = _specs()
