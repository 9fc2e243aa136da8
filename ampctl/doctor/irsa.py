"""IRSA: the cluster's OIDC provider, and for each of cost-analyzer and prometheus-server its IAM role's
trust policy, the policies attached to it, and its ServiceAccount's role annotation."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from ampctl.doctor.checkspec import CheckSpec, bind
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.identitymode import role_of, uses_pod_identity
from ampctl.doctor.kubefacts import pod_template
from ampctl.doctor.model import Result, fail, ok, skip, warn
from ampctl.endpoints import arn as make_arn
from ampctl.endpoints import name_of
from ampctl.naming import AMP_QUERY_POLICY, AMP_REMOTE_WRITE_POLICY, ROLE_ARN_ANNOTATION, aws_policy_arn

COMPONENTS = ("cost-analyzer", "prometheus-server")
UNDER_POD_IDENTITY = "the cluster uses EKS Pod Identity (checked under pod-identity.*)"
# component -> (AWS managed policy, the action it grants that the component needs)
AMP_POLICY = {
    "cost-analyzer": (AMP_QUERY_POLICY, "aps:QueryMetrics"),
    "prometheus-server": (AMP_REMOTE_WRITE_POLICY, "aps:RemoteWrite"),
}


def provider(facts: Facts, findings: Findings) -> Result:
    from ampctl.endpoints import oidc_provider_arn

    if uses_pod_identity(facts):
        return skip(UNDER_POD_IDENTITY)
    issuer = facts.issuer()
    assert issuer
    arn = oidc_provider_arn(facts.account, issuer, region=facts.region)
    if arn not in facts.oidc_providers():
        return fail(
            f"no IAM OIDC provider for {issuer}: pods get 'InvalidIdentityToken: No OpenIDConnect provider found'",
            f"`eksctl utils associate-iam-oidc-provider --cluster {facts.cluster} --region {facts.region} --approve` "
            "(or `ampctl bootstrap --create-oidc-provider` on the primary)",
        )
    return ok(arn)


def service_account_name(facts: Facts, findings: Findings, component: str) -> str:
    """The account the component's pods run as (from its Deployment), else the one ampctl creates."""
    from ampctl.naming import COMPONENTS as SERVICE_ACCOUNTS

    spec = pod_template(facts.deployment(facts.deployment_name(component))) if findings.kube_ok() else {}
    return str(spec.get("serviceAccountName") or SERVICE_ACCOUNTS[component])


def annotated_role(facts: Facts, findings: Findings, component: str) -> str | None:
    if not findings.kube_ok():
        return None
    sa = facts.service_account(service_account_name(facts, findings, component))
    annotations = ((sa or {}).get("metadata") or {}).get("annotations") or {}
    value = str(annotations.get(ROLE_ARN_ANNOTATION) or "").strip()
    return value or None


def role_in_use(facts: Facts, findings: Findings, component: str) -> str:
    """The role the pods would assume: the annotated one (or under Pod Identity the associated one), else the one
    ampctl names for the cluster."""
    from ampctl.naming import role_name

    arn = role_of(facts, service_account_name(facts, findings, component), annotated_role(facts, findings, component))
    if arn and ":role/" in arn:
        return name_of(arn)
    return role_name(facts.cluster, component)


def annotation(facts: Facts, findings: Findings, component: str) -> Result:
    from ampctl.naming import role_arn, role_name

    if uses_pod_identity(facts):
        return skip(UNDER_POD_IDENTITY)
    sa_name = service_account_name(facts, findings, component)
    where = f"serviceaccount {facts.namespace}/{sa_name}"
    expected = role_arn(facts.account, role_name(facts.cluster, component), region=facts.region)
    if facts.service_account(sa_name) is None:
        return fail(f"{where} does not exist", f"{facts.repair()} creates it")
    arn = annotated_role(facts, findings, component)
    deploy = facts.deployment_name(component)
    if arn is None:
        return fail(
            f"{where} has no {ROLE_ARN_ANNOTATION} annotation: its pods get no AWS credentials",
            f"{facts.repair()} annotates it; then `kubectl -n {facts.namespace} rollout restart deployment/{deploy}`",
        )
    stale = _pods_with_other_role(facts, component, arn)
    if stale:
        return fail(
            f"{where} names {arn} but pod {stale[0]} runs with {stale[1]}",
            f"`kubectl -n {facts.namespace} rollout restart deployment/{deploy}`",
        )
    if arn == expected:
        return ok(f"{where} -> {arn}")
    if facts.role(name_of(arn)) is None:
        return fail(f"{where} names {arn}, which does not exist", f"{facts.repair()} points it at {expected}")
    return warn(f"{where} names {arn}, not ampctl's {expected}", "fine if intended; the role is checked below")


def _pods_with_other_role(facts: Facts, component: str, arn: str) -> tuple[str, str] | None:
    deploy = facts.deployment(facts.deployment_name(component))
    for pod in facts.pods(deploy) if deploy else []:
        for c in (pod.get("spec") or {}).get("containers") or []:
            env = {e.get("name"): e.get("value") for e in c.get("env") or []}
            if env.get("AWS_ROLE_ARN") and env["AWS_ROLE_ARN"] != arn:
                return str(pod["metadata"]["name"]), str(env["AWS_ROLE_ARN"])
    return None


def role(facts: Facts, findings: Findings, component: str) -> Result:
    from ampctl.doctor.trust import judge
    from ampctl.documents import service_account_subject
    from ampctl.endpoints import issuer_host, oidc_provider_arn

    if uses_pod_identity(facts):
        return skip(UNDER_POD_IDENTITY)
    name = role_in_use(facts, findings, component)
    found = facts.role(name)
    if found is None:
        return fail(f"IAM role {name} does not exist", f"{facts.repair()} creates it")
    issuer = facts.issuer()
    assert issuer
    subject = service_account_subject(facts.namespace, service_account_name(facts, findings, component))
    document = found.get("AssumeRolePolicyDocument") or {}
    verdict = judge(
        document, oidc_provider_arn(facts.account, issuer, region=facts.region), issuer_host(issuer), subject
    )
    if verdict.problems:
        return fail(
            f"{name} trust policy: {'; '.join(verdict.problems)}",
            f"{facts.repair()} rewrites the trust policy",
        )
    if verdict.warnings:
        return warn(f"{name} trusts {subject}, but {'; '.join(verdict.warnings)}", "tighten the trust policy")
    return ok(f"{name} trusts {subject}")


def policies(facts: Facts, findings: Findings, component: str) -> Result:
    from ampctl.naming import policy_arn, s3_policy_name

    name = role_in_use(facts, findings, component)
    if facts.role(name) is None:
        return skip(f"IAM role {name} does not exist")
    iam = facts.client("iam")
    attached = facts.attached(name)
    amp_policy, amp_action = AMP_POLICY[component]
    amp_arn = aws_policy_arn(amp_policy, region=facts.region)
    # (policy that grants it, action, a resource the action must be allowed on)
    # With the workspace in another account, AMP's policy is on the role there (the chain checks look).
    wanted = []
    if facts.clients.workspace_account is None:
        resource = make_arn("aps", "workspace/ws-x", region=facts.region, account=facts.account, regional=True)
        wanted.append((amp_arn, amp_action, resource))
    if component == "cost-analyzer" and facts.federated:
        bucket, _ = facts.bucket(lambda: findings.fleet_shape(facts))
        s3_policy = policy_arn(facts.account, s3_policy_name(facts.cluster), region=facts.region)
        wanted.append(
            (
                s3_policy,
                "s3:PutObject",
                make_arn(
                    "s3", f"{facts.bucket(lambda: findings.fleet_shape(facts))[0]}/federated/x", region=facts.region
                ),
            )
        )
    present, missing = [], []
    documents: list[dict[str, Any]] | None = None
    for arn, action, resource in wanted:
        short = name_of(arn)
        if arn in attached:
            present.append(short)
            continue
        documents = documents if documents is not None else _documents(iam, name, attached)
        if _grants(documents, action, resource):
            present.append(f"{action} (another policy)")
        else:
            missing.append(f"{short} (nothing grants {action})")
    if missing:
        return fail(f"{name} lacks {', '.join(missing)}", f"{facts.repair()} attaches it")
    return ok(f"{name}: {', '.join(present) or 'no AMP policy here: it assumes its role in the workspace account'}")


def role_grants(facts: Facts, role_name: str, action: str, resource: str) -> bool:
    """Whether any policy of the role (attached or inline) allows `action` on `resource`."""
    from ampctl.aws.iam import attached_policy_arns

    iam = facts.client("iam")
    return _grants(_documents(iam, role_name, attached_policy_arns(iam, role_name)), action, resource)


def _documents(iam: Any, role: str, attached: set[str]) -> list[dict[str, Any]]:
    from ampctl.documents import parse_document

    docs = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role):
        for policy in page["PolicyNames"]:
            docs.append(parse_document(iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]))
    for arn in attached:
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        got = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        docs.append(parse_document(got))
    return docs


def _grants(documents: list[dict[str, Any]], action: str, resource: str) -> bool:
    def listed(value: Any) -> list[str]:
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    for doc in documents:
        statements = doc.get("Statement") or []
        for st in [statements] if isinstance(statements, dict) else statements:
            if st.get("Effect") != "Allow":
                continue
            if any(fnmatchcase(action.lower(), a.lower()) for a in listed(st.get("Action", []))) and any(
                fnmatchcase(resource, r) for r in listed(st.get("Resource", "*"))
            ):
                return True
    return False


def _specs() -> list[CheckSpec]:
    specs = [
        CheckSpec("irsa.oidc-provider", "irsa", "IAM OIDC provider for the cluster", provider, ("identity.cluster",))
    ]
    for c in COMPONENTS:
        specs += [
            CheckSpec(
                f"irsa.{c}.role", "irsa", f"{c} role and trust policy", bind(role, c), ("identity.cluster",),
                ("identity.kubernetes",),
            ),
            CheckSpec(
                f"irsa.{c}.policies", "irsa", f"{c} role policies", bind(policies, c), ("identity.account",)
            ),
            CheckSpec(
                f"irsa.{c}.annotation", "irsa", f"{c} ServiceAccount annotation", bind(annotation, c),
                ("identity.account", "identity.kubernetes"),
            ),
        ]  # fmt: skip
    return specs


SPECS = _specs()
