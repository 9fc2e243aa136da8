"""Logs: what the sigv4proxy, cost-model and prometheus-server containers said in the last --log-window.

Old lines stay in a container's log after a problem is fixed, so an error line fails the check only
while the path it belongs to still fails; when the live PromQL checks pass, it is a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from ampctl.doctor.checkspec import CheckFn, CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.model import Result, fail, ok, skip, warn
from ampctl.doctor.options import format_age
from ampctl.doctor.promql import READ_SIDE, WRITE_SIDE
from ampctl.doctor.text import tidy

TAIL_LINES = 2000
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)\s")
_APP_PREFIX = re.compile(r'^(time="[^"]*"\s+|ts=\S+\s+|\d{4}-\d\d-\d\dT\S+\s+)')
_FIELD = re.compile(r'(\w+)=("[^"]*"|\S+)')
# aws-sigv4-proxy logs through logrus' text formatter (`time=... level=info msg=...`), cmd/aws-sigv4-proxy/main.go and
# handler/ at v1.8 to v1.11.1: at start-up "Custom headers, values are redacted: ..." (v1.9+), "Stripping headers
# ...", "Duplicating headers ..." (v1.8+), "Listening on ..." (info) and "Peer SSL Certificate validation is
# DISABLED" or "Invalid header format: ..." (warning); failures are level=error ("unable to proxy request", "error
# proxying request") or level=fatal. A line without a logrus level (a Go panic, the SDK's own output) is an error.
_LOGRUS_LEVEL = re.compile(r'(?:^|\s)level=("?)(\w+)\1(?:\s|$)')
_SIGV4_FAILURE_LEVELS = ("error", "fatal", "panic")
_COST_MODEL_ERROR = re.compile(r"(^|\s)(ERR|ERROR|FTL)\s|level=(error|fatal)|Prometheus communication error")
_PROMETHEUS_ERROR = re.compile(
    r"level=(error|fatal)|level=warn.*component=remote|component=remote.*level=warn|out of order|"
    r"Error loading config|non-recoverable"
)
# (what the line says, what it means), the first match wins.
HINTS = (
    (
        "NoCredentialProviders",
        "the pod has no AWS credentials: its ServiceAccount lacks the role annotation (IRSA), or its pod identity "
        "association, a Pod Identity agent or a sigv4 proxy image of 1.9+ (EKS Pod Identity)",
    ),
    ("CredentialsEndpointError", "EKS Pod Identity cannot assume the role: its trust policy refuses the pods"),
    (
        "perform: sts:TagSession",
        "the role chain to the workspace account does not allow sts:TagSession, which EKS Pod Identity's transitive "
        "session tags need: see the chain.* checks",
    ),
    ("No OpenIDConnect provider", "the cluster's IAM OIDC provider is missing"),
    ("InvalidIdentityToken", "the cluster's IAM OIDC provider is missing or wrong"),
    ("AssumeRoleWithWebIdentity", "the role's trust policy does not admit the ServiceAccount"),
    ("WebIdentityErr", "the pod cannot assume its role (trust policy or OIDC provider)"),
    (
        "perform: sts:AssumeRole",
        "the role chain to the workspace account is refused: see the chain.* checks (trust or assume policy)",
    ),
    ("scoped to a valid region", "requests are signed for another region than the workspace's"),
    ("not authorized to perform", "the role lacks the AMP (or S3) permission"),
    ("federated storage", "cost-model cannot save its ETL to the bucket"),
    ("Workspace not found", "the workspace does not exist"),
    (" 429", "AMP throttles remote write (ingestion rate limit)"),
    (" 413", "a remote-write batch is too large (1 MB limit)"),
    ("out of order", "out-of-order samples: two writers share one cluster_id"),
    ("Error loading config", "prometheus.yml does not load"),
    (" 403", "AMP refused the request (403)"),
    (" 502", "cost-model got a bad gateway from the sigv4 proxy"),
)


@dataclass(frozen=True)
class Source:
    component: str  # "cost-analyzer" or "prometheus-server"
    container: str
    is_error: Callable[[str], bool]
    live: tuple[str, ...]  # PromQL checks that show the path works now
    quiet: str  # evidence when there is nothing to report


def _sigv4_error(line: str) -> bool:
    level = _LOGRUS_LEVEL.search(line)
    if level is not None:
        return level.group(2).lower() in _SIGV4_FAILURE_LEVELS
    return bool(line.strip())


SOURCES = {
    "sigv4proxy": Source(
        "cost-analyzer", "sigv4proxy", _sigv4_error, ("promql.kubecost.memory", "promql.kubecost.node-cost"),
        "only the start-up lines (headers, Listening on :8005)",
    ),
    "cost-model": Source(
        "cost-analyzer", "cost-model", lambda line: bool(_COST_MODEL_ERROR.search(line)),
        ("promql.kubecost.memory", "promql.kubecost.node-cost"), "no ERR lines",
    ),
    "prometheus-server": Source(
        "prometheus-server", "prometheus-server", lambda line: bool(_PROMETHEUS_ERROR.search(line)),
        ("promql.amp.memory", "promql.amp.node-cost"), "no remote-write errors",
    ),
}  # fmt: skip


def _stamp(line: str) -> tuple[datetime | None, str]:
    match = _STAMP.match(line)
    if not match:
        return None, line
    text = match.group(1) + (match.group(3) if match.group(3) != "Z" else "+00:00")
    try:
        return datetime.fromisoformat(text), line[match.end() :]
    except ValueError:
        return None, line[match.end() :]


def hint(line: str) -> str:
    return next((meaning for marker, meaning in HINTS if marker in line), "")


def excerpt(line: str, limit: int = 160) -> str:
    """The message of a log line and its error, without timestamps, callers and URLs."""
    text = line.strip()
    masked = text.replace('\\"', "\x00")  # escaped quotes inside quoted values
    fields = {m.group(1): m.group(2).strip('"').replace("\x00", '"') for m in _FIELD.finditer(masked)}
    if "msg" in fields:
        error = fields.get("err") or fields.get("error") or fields.get("message")
        text = fields["msg"] + (f": {error}" if error else "")
    else:
        text = _APP_PREFIX.sub("", text)
    return tidy(text, limit)


def read(
    facts: Facts, source: Source, wanted: Callable[[str], bool] | None = None
) -> tuple[str, list[tuple[datetime | None, str]]] | None:
    """(pod, recent lines that `wanted` (else the source's error test) picks, with their times), or None
    when there is no pod to read."""
    deploy = facts.deployment(facts.deployment_name(source.component))
    pods = sorted(facts.pods(deploy) if deploy else [], key=lambda p: p["metadata"].get("creationTimestamp") or "")
    if not pods:
        return None
    pod = str(pods[-1]["metadata"]["name"])
    text = facts.kube.call(
        f"read the log of {pod}/{source.container}", facts.kube.core.read_namespaced_pod_log,
        pod, facts.namespace, container=source.container, timestamps=True, tail_lines=TAIL_LINES,
    )  # fmt: skip
    since = datetime.now(timezone.utc).timestamp() - facts.options.log_window
    errors = []
    for raw in str(text or "").splitlines():
        stamp, line = _stamp(raw)
        if stamp is not None and stamp.timestamp() < since:
            continue
        if (wanted or source.is_error)(line):
            errors.append((stamp, line))
    return pod, errors


def is_save_failure(line: str) -> bool:
    """cost-model could not save its ETL to the object store (the federated checks judge these)."""
    return "federated storage" in line and bool(_COST_MODEL_ERROR.search(line))


def check(facts: Facts, findings: Findings, name: str) -> Result:
    source = SOURCES[name]
    found = read(facts, source)
    if found is None:
        return skip(f"no {source.component} pod")
    pod, errors = found
    window = format_age(facts.options.log_window)
    if not errors:
        return ok(f"{pod}: {source.quiet} in the last {window}")
    # The newest line of each kind, with the checks that show whether that kind still fails.
    kinds: dict[tuple[str, ...], tuple[datetime | None, str]] = {}
    for stamp, line in errors:
        kinds[("federated.objects",) if is_save_failure(line) else source.live] = (stamp, line)
    current = [
        (ids, item) for ids, item in kinds.items()
        if not all(findings.passed(i) for i in ids)
    ]  # fmt: skip
    stamp, line = (current or list(kinds.items()))[-1][1]
    age = f", newest {format_age(datetime.now(timezone.utc).timestamp() - stamp.timestamp())} ago" if stamp else ""
    evidence = f"{len(errors)} error line(s) in the last {window}{age}: {excerpt(line)}"
    if not current:
        return warn(f"{evidence}; that path works now", "earlier errors: nothing to do unless new ones appear")
    meaning = hint(line)
    return fail(f"{evidence}" + (f" ({meaning})" if meaning else ""), _fix(facts, name, meaning))


def _fix(facts: Facts, name: str, meaning: str) -> str:
    logs = f"`kubectl -n {facts.namespace} logs deploy/{facts.fullname} -c {name}`"
    if name == "prometheus-server":
        logs = f"`kubectl -n {facts.namespace} logs deploy/{facts.prometheus_name} -c prometheus-server`"
    return f"{meaning + ': ' if meaning else ''}see the IRSA and values checks; full log: {logs}"


def _bind(name: str) -> CheckFn:
    return lambda facts, findings: check(facts, findings, name)


SPECS = [
    CheckSpec(
        "logs.sigv4proxy", "logs", "sigv4proxy log", _bind("sigv4proxy"),
        ("workloads.cost-analyzer",), (*READ_SIDE, "promql.kubecost.memory", "promql.kubecost.node-cost"),
    ),
    CheckSpec(
        "logs.cost-model", "logs", "cost-model log", _bind("cost-model"),
        ("workloads.cost-analyzer",),
        (*READ_SIDE, "federated.secret", "federated.objects", "promql.kubecost.memory", "promql.kubecost.node-cost"),
    ),
    CheckSpec(
        "logs.prometheus-server", "logs", "prometheus-server log", _bind("prometheus-server"),
        ("workloads.prometheus-server",), (*WRITE_SIDE, "promql.amp.memory", "promql.amp.node-cost"),
    ),
]  # fmt: skip
