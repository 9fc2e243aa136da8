"""doctor on a Kubecost 3.x primary: the aggregator is ready and answers through the frontend, the way the UI and
the API reach it, asked through the Kubernetes API server's service proxy (as the 2.x checks reach cost-model).

The path, from the kubecost chart at 3.2.1: Service `<release>-frontend`, port `tcp-frontend` (9090, values.yaml
frontend.service.port; templates/frontend/frontend-service.yaml, `kubecost.frontend.serviceName`); its nginx sends
`/model/` to the aggregator (templates/frontend/frontend-configmap.yaml: `location /model/ { proxy_pass
http://aggregator/; }`, upstream `<release>-aggregator:9004`), so `/model/healthz` is the aggregator's `/healthz`, its
readiness probe (templates/aggregator/aggregator-statefulset.yaml) and the chart's own health test
(templates/tests/basic-health.yaml: 200 from `<frontend>:9090/model/healthz` on a primary).
"""

from __future__ import annotations

import re

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.model import Result, fail, ok, skip
from ampctl.doctor.text import tidy

PORT = "tcp-frontend"
HEALTH = "model/healthz"
TIMEOUT = 30.0


def frontend(release: str) -> str:
    return f"{release}-frontend"


def aggregator(facts: Facts, findings: Findings) -> Result:
    """GET /model/healthz through the frontend: 200 is the aggregator ready behind a working frontend."""
    from ampctl.kube import proxy

    if not facts.primary:
        return skip("an agent runs no aggregator or frontend (aggregator.enabled and frontend.enabled false)")
    release, namespace = facts.options.release, facts.namespace
    where = f"service {namespace}/{frontend(release)}:{PORT} /{HEALTH}"
    try:
        status, body = proxy.get(facts.kube.api, namespace, f"{frontend(release)}:{PORT}", HEALTH, [], TIMEOUT)
    except proxy.Unreachable as exc:
        return fail(f"{where}: {exc}", "check the kube context and the network to the API server")
    answer = _shown(body)
    if status == 200:
        return ok(f"the aggregator answers through the frontend: {where} -> HTTP 200 ({answer})")
    logs = f"`kubectl -n {namespace} logs statefulset/{release}-aggregator`"
    if status in (502, 503, 504) and "no endpoints available" in answer:
        fix = f"the frontend has no ready pod: `kubectl -n {namespace} describe deployment {frontend(release)}`"
    elif status in (502, 504):  # nginx: the upstream (the aggregator) refused, reset or timed out
        fix = f"the frontend cannot reach the aggregator (not ready, or still ingesting): {logs}"
    elif status == 404:
        fix = f"no frontend Service or no /model/ route: {facts.repair()} installs the chart's frontend"
    else:
        fix = f"see the aggregator's log: {logs}"
    return fail(f"{where} -> HTTP {status} ({answer})", fix)


def _shown(body: bytes) -> str:
    """The answer in a few words: an HTML error page's title (nginx's), else the body, tidied."""
    text = body.decode(errors="replace")
    title = re.search(r"<title>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return tidy(title.group(1) if title else text, 120) or "no body"


SPECS = [
    CheckSpec("kubecost3.aggregator.api", "kubecost3", "The aggregator is ready and answers through the frontend",
              aggregator, ("release.status", "kubecost3.workloads")),
]  # fmt: skip
