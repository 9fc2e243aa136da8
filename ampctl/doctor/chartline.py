"""The installed chart's line: the version and mode are supported, the values hold the line's contract keys
(its LineKeys, ampctl.lines), and where the line has a finops-agent (2.9) it reaches the bucket under its role."""

from __future__ import annotations

from typing import Any

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.kubefacts import pod_template
from ampctl.doctor.model import Result, fail, ok, skip
from ampctl.endpoints import arn as make_arn
from ampctl.endpoints import name_of
from ampctl.naming import ROLE_ARN_ANNOTATION


def _version(facts: Facts) -> str:
    release = facts.release()
    assert release is not None  # release.status passed
    return release.chart_version


def _problems(facts: Facts, version: str) -> list[str]:
    from ampctl.chartkeys import (
        CLUSTER,
        CLUSTER_NAME,
        EXTERNAL_LABEL,
        cluster_filter_key,
        line_keys,
        wants_cluster_filter,
    )

    keys = line_keys(version)
    problems = []
    label = facts.value(EXTERNAL_LABEL)
    for key in keys.cluster_id_keys:  # the label and clusterName are values.cluster-id's
        if key not in (EXTERNAL_LABEL, CLUSTER_NAME) and facts.value(key, None) != label:
            problems.append(f"{key} is {facts.value(key, None) or 'unset'}, the cluster_id label is {label}")
    if facts.federated:
        if not facts.value(keys.object_store_key, None):
            problems.append(f"{keys.object_store_key} is unset (the {keys.name} chart reads the Secret there)")
        for key in keys.forbidden_keys:
            if facts.value(key, None):
                problems.append(f"{key} is set (the {keys.name} chart fails on it or ignores the Secret)")
        role = "primary" if facts.primary else "agent"
        for key, want in keys.federation[role].items():
            want = facts.cluster_id if want == CLUSTER else want
            if facts.value(key, None) != want:
                problems.append(f"{key} is {facts.value(key, None)}, a federated {role} needs {want}")
        for key, name in keys.federated_names.items():
            if facts.value(key, None) != name:
                problems.append(f"{key} is {facts.value(key, None)}: a subchart renders the default name, set {name}")
    filter_key = cluster_filter_key(version)
    if filter_key:
        wanted = wants_cluster_filter(version, facts.primary, facts.federated)
        if (facts.value(filter_key, None) is True) != wanted:
            why = "cost-model computes every cluster in the workspace" if wanted else "the primary shows only itself"
            problems.append(f"{filter_key} is {facts.value(filter_key, None)}: {why}")
    if keys.finops_agent_sa_key and _finops_enabled(facts) and not facts.value(keys.finops_agent_sa_key, None):
        problems.append(f"{keys.finops_agent_sa_key} is unset: the chart creates an account with no IAM role")
    return problems


def contract(facts: Facts, findings: Findings) -> Result:
    from ampctl.chartkeys import line_keys
    from ampctl.errors import AmpctlError
    from ampctl.versions import FLAG, REFUSED, check_mode, newest_usable, parse_version, show

    version = _version(facts)
    try:
        check_mode(version, facts.federated)
    except AmpctlError as exc:
        parsed = parse_version(version)
        if parsed in REFUSED:  # installed before ampctl refused it: the upgrade is the fix, on the same major line
            newest = newest_usable(parsed)
            return fail(exc.message, f"upgrade: {facts.repair(FLAG, show(newest))}")
        return fail(exc.message, exc.hint or "install a supported version and mode")
    problems = _problems(facts, version)
    if problems:
        return fail("; ".join(problems), f"{facts.repair()} sets the {line_keys(version).name} keys")
    mode = "federated " + ("primary" if facts.primary else "agent") if facts.federated else "quick-start"
    return ok(f"chart {version} ({line_keys(version).name}), {mode}: every contract key in place")


def _finops_enabled(facts: Facts) -> bool:
    return facts.value("finopsagent.enabled", True) is not False


def _finops_account(facts: Facts, findings: Findings) -> str:
    """The finops-agent's ServiceAccount: from its running Deployment, else from the values."""
    deploy = facts.deployment(f"{facts.options.release}-finopsagent") if findings.kube_ok() else None
    running = pod_template(deploy).get("serviceAccountName")
    return str(running or facts.value("finopsagent.serviceAccount.name", None) or "")


def finops_agent(facts: Facts, findings: Findings) -> Result:
    from ampctl.chartkeys import line_keys

    version = _version(facts)
    if line_keys(version).finops_agent_sa_key is None:
        return ok(f"chart {version} has no finops-agent (it arrives in 2.9)")
    if not _finops_enabled(facts):
        return skip("finopsagent.enabled is false")
    account = _finops_account(facts, findings)
    if not account:
        return fail(
            "the finops-agent runs as a ServiceAccount the chart creates, with no IAM role: it cannot reach the bucket",
            f"{facts.repair()} points finopsagent.serviceAccount at the cost-analyzer's account",
        )
    from ampctl.doctor.identitymode import role_of

    sa = facts.service_account(account)
    arn = str(((sa or {}).get("metadata") or {}).get("annotations", {}).get(ROLE_ARN_ANNOTATION) or "")
    arn = role_of(facts, account, arn or None) or ""
    where = f"serviceaccount {facts.namespace}/{account}"
    if sa is None or ":role/" not in arn:
        state = "does not exist" if sa is None else f"has no {ROLE_ARN_ANNOTATION} annotation nor association"
        return fail(f"the finops-agent runs as {where}, which {state}", f"{facts.repair()} sets it up")
    return _bucket_access(facts, findings, where, name_of(arn))


def _bucket_access(facts: Facts, findings: Findings, where: str, role: str) -> Result:
    from ampctl.doctor.irsa import role_grants

    found: dict[str, Any] | None = facts.role(role)
    if found is None:
        return fail(f"{where} names IAM role {role}, which does not exist", f"{facts.repair()} creates it")
    name, _ = facts.bucket(lambda: findings.fleet_shape(facts))
    missing = [
        action
        for action in ("s3:GetObject", "s3:PutObject")
        if not role_grants(facts, role, action, make_arn("s3", f"{name}/federated/x", region=facts.region))
    ]
    if missing:
        return fail(
            f"the finops-agent's role {role} does not allow {', '.join(missing)} on s3://{name}",
            f"{facts.repair()} attaches the cluster's S3 policy",
        )
    return ok(f"the finops-agent runs as {where} ({role}): read and write on s3://{name}")


RELEASE_SPECS = [
    CheckSpec("values.line-contract", "release", "values meet the chart line's contract", contract, ("release.status",))
]
FEDERATED_SPECS = [
    CheckSpec(
        "federated.finops-agent",
        "federated",
        "finops-agent reaches the bucket (2.9)",
        finops_agent,
        ("release.status", "identity.account"),
        (
            "irsa.cost-analyzer.role",
            "irsa.cost-analyzer.policies",
            "federated.secret",
            "pod-identity.agent",
            "pod-identity.cost-analyzer.association",
        ),
    ),
]
