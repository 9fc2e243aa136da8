"""doctor on Kubecost 3.x (the `kubecost` chart): the 3.x checks of the release's values, the workloads, the bucket's
freshness per cluster id and 2.x leftovers (identities: ampctl.doctor.kubecost3id).

3.x has no Prometheus, no AMP workspace and no sigv4 proxy: which 1.x/2.x checks are skipped on 3.x, and why, is the
line's (ampctl.lines.v3 DOCTOR, applied by ampctl.doctor.linegate). The checks below run only on 3.x.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timezone
from typing import Any

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.model import ClusterReport, Diagnosis, Result, Status, fail, ok, warn

LIST_PAGES = 20  # at most 20,000 keys of one cluster id are looked at for the newest


def cluster_id(facts: Facts) -> str:
    return str(facts.value("global.clusterId", None) or "")


def values(facts: Facts, findings: Findings) -> Result:
    """global.clusterId is the cluster's name (each cluster's data goes under its own id), the federated storage is
    the existing Secret, and no 2.x key is left in the values (the chart fails on them: ampctl.lines.v3)."""
    from ampctl.lines.v3 import REMOVED_KEYS

    left = [key for key in REMOVED_KEYS if facts.value(key, None) is not None]
    if left:
        return fail(f"the values still carry 2.x keys {', '.join(left)}: the 3.x chart refuses them on upgrade",
                    f"{facts.repair()} installs the 3.x values alone")  # fmt: skip
    problems = []
    if cluster_id(facts) != facts.cluster:
        problems.append(f"global.clusterId is {cluster_id(facts) or '(unset)'}, not the cluster's name")
    if not facts.store_secret:
        problems.append("global.federatedStorage.existingSecret is unset: the finops-agent writes nowhere")
    if problems:
        return fail("; ".join(problems), f"{facts.repair()} sets them")
    return ok(f"global.clusterId {cluster_id(facts)}, federated storage from Secret {facts.store_secret}")


def _ready(facts: Facts, kind: str, name: str) -> str | None:
    """None when the Deployment or StatefulSet has all its replicas ready, else what is wrong."""
    found = facts.once(f"{kind}:{name}", lambda: facts.kube.read(kind, facts.namespace, name, group="apps"))
    if found is None:
        return f"{kind.replace('_', '')} {facts.namespace}/{name} not found"
    wanted = int((found.get("spec") or {}).get("replicas", 1) or 0)
    ready = int((found.get("status") or {}).get("readyReplicas") or 0)
    return None if ready >= wanted else f"{kind.replace('_', '')} {name}: {ready}/{wanted} ready"


def workloads(facts: Facts, findings: Findings) -> Result:
    """The finops-agent and cluster-controller Deployments, and on the primary the aggregator StatefulSet and the
    frontend Deployment, ready (names: the chart's fullname helpers at 3.2.1, `<release>-finopsagent`,
    `-cluster-controller`, `-aggregator`, `-frontend`)."""
    release = facts.options.release
    wanted = [("deployment", f"{release}-finopsagent"), ("deployment", f"{release}-cluster-controller")]
    if facts.primary:
        wanted += [("stateful_set", f"{release}-aggregator"), ("deployment", f"{release}-frontend")]
    problems = [p for kind, name in wanted if (p := _ready(facts, kind, name)) is not None]
    if problems:
        return fail("; ".join(problems), f"`kubectl -n {facts.namespace} get pods -l app.kubernetes.io/instance="
                    f"{release}`; {facts.repair()} installs what is missing")  # fmt: skip
    return ok(", ".join(name for _, name in wanted) + " ready")


def _newest(facts: Facts, bucket: str, prefix: str) -> tuple[datetime | None, int]:
    from ampctl.aws.s3 import newest

    found: tuple[datetime | None, int] = facts.once(
        f"objects:{bucket}:{prefix}", lambda: newest(facts.client("s3"), bucket, prefix, LIST_PAGES)
    )
    return found


def _agent_denial(facts: Facts) -> str | None:
    """The finops-agent's newest failed write in its log (its lines: ampctl.sandbox.kubecost.etl, assumed)."""
    from ampctl.doctor import logs

    source = logs.Source("finops-agent", "finops-agent", lambda line: "failed to write" in line, (), "")
    found = logs.read(facts, source)
    return logs.excerpt(found[1][-1][1]) if found and found[1] else None


def freshness(facts: Facts, findings: Findings) -> Result:
    """The newest object under federated/<cluster id>/ is younger than --max-sample-age: the finops-agent writes
    every minute (agent.exporter.emissionInterval 1m, the finops-agent chart's values.yaml at v1.0.20). The prefix:
    OpenCost's exporter layout, root `federated` (see ampctl.sandbox.kubecost.etl.kubecost3_key; an assumption)."""
    from ampctl.doctor.options import format_age

    bucket, _ = facts.bucket(lambda: None)
    prefix = f"federated/{cluster_id(facts) or facts.cluster}/"
    newest, count = _newest(facts, bucket, prefix)
    fix = "the finops-agent cannot write: see kubecost3.finops-agent.* and its log"
    if newest is None:
        denial = _agent_denial(facts)
        if denial:
            return fail(f"nothing under s3://{bucket}/{prefix}; finops-agent: {denial}", fix)
        return warn(f"nothing under s3://{bucket}/{prefix} yet", "the finops-agent writes within a minute of start")
    age = (datetime.now(timezone.utc) - newest).total_seconds()
    seen = f"{count} object(s) under s3://{bucket}/{prefix}, newest {format_age(age)} old"
    if age > facts.options.max_sample_age:
        denial = _agent_denial(facts)
        return fail(f"{seen} (older than {format_age(facts.options.max_sample_age)})"
                    + (f"; finops-agent: {denial}" if denial else ""), fix)  # fmt: skip
    return ok(seen)


def _bindings(facts: Facts) -> list[str]:
    """The 2.x AMP roles still bound to this cluster's 2.x ServiceAccounts (IRSA annotation or association)."""
    from ampctl.doctor.identitymode import associations
    from ampctl.naming import COMPONENTS, ROLE_ARN_ANNOTATION

    found = []
    for sa in COMPONENTS.values():
        annotations: dict[str, Any] = ((facts.service_account(sa) or {}).get("metadata") or {}).get("annotations") or {}
        if annotations.get(ROLE_ARN_ANNOTATION):
            found.append(f"serviceaccount {sa} -> {annotations[ROLE_ARN_ANNOTATION]}")
    with contextlib.suppress(Exception):  # no eks:ListPodIdentityAssociations: the annotations are still judged
        found += [f"association {a.get('associationId')} ({a.get('serviceAccount')})" for a in associations(facts)
                  if a.get("serviceAccount") in COMPONENTS.values()]  # fmt: skip
    return found


def leftovers(facts: Facts, findings: Findings) -> Result:
    """No 2.x AMP identity left: its ServiceAccounts bound to their AMP roles, or the roles themselves."""
    from ampctl.naming import COMPONENTS, role_name

    bound = _bindings(facts)
    if bound:
        fix = "remove them once no cluster of the fleet uses AMP (`kubectl delete serviceaccount`, `aws eks "
        return fail(f"2.x AMP identities still bound: {'; '.join(bound)}", fix + "delete-pod-identity-association`)")
    roles = [name for c in COMPONENTS if facts.role(name := role_name(facts.cluster, c)) is not None]
    if roles:
        return warn(f"2.x AMP roles still exist: {', '.join(roles)}", "once the whole fleet is on 3.x, `ampctl "
                    "teardown --retire-amp` removes them with the workspace ampctl made and its rule groups (it "
                    "refuses while a cluster still uses AMP)")  # fmt: skip
    return ok("no 2.x AMP values, ServiceAccounts, associations or roles")


def diagnose(report: ClusterReport) -> Diagnosis:
    """3.x's data path is the finops-agent's writes to the bucket (and the aggregator's reads on the primary)."""
    failed = [c for c in report.checks if c.status is Status.FAIL]
    if failed:
        return Diagnosis(f"Kubecost 3.x: {len(failed)} check(s) fail; the first: {failed[0].id}",
                         [f"{c.id}: {c.evidence}" for c in failed], [c.fix for c in failed if c.fix])  # fmt: skip
    fresh = report.get("kubecost3.freshness")
    if fresh is not None and fresh.status is Status.PASS:
        return Diagnosis("Kubecost 3.x: the finops-agent's data reaches the bucket under this cluster's id.")
    return Diagnosis("Kubecost 3.x: no failure, but the finops-agent's data is not fresh yet (kubecost3.freshness).")


KUBE = ("identity.kubernetes",)
SPECS = [
    CheckSpec("kubecost3.values", "kubecost3", "kubecost chart values: cluster id, storage, no 2.x keys", values,
              ("release.status",)),
    CheckSpec("kubecost3.workloads", "kubecost3", "finops-agent, cluster-controller (and aggregator, frontend) ready",
              workloads, KUBE),
    CheckSpec("kubecost3.leftovers", "kubecost3", "No 2.x AMP identities left", leftovers,
              ("identity.account", "identity.kubernetes")),
]  # fmt: skip
FRESHNESS = CheckSpec(
    "kubecost3.freshness", "kubecost3", "The finops-agent's data in the bucket is fresh", freshness,
    ("federated.bucket",),
    ("federated.secret", "irsa.oidc-provider", "pod-identity.agent", "kubecost3.finops-agent.identity",
     "kubecost3.finops-agent.access", "kubecost3.workloads"),
    (Status.WARN, Status.FAIL),
)  # fmt: skip
