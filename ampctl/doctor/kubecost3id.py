"""Kubecost 3.x identities: for each component that uses the bucket (the finops-agent, the primary's aggregator, the
cluster-controller: ampctl.lines.v3), its role exists and its ServiceAccount reaches it (IRSA annotation and a
trust policy that admits the ServiceAccount, or a pod identity association and a trust of EKS Pod Identity), and the
role may use the bucket (the cluster's S3 policy) and, when the bucket has a customer managed key, that key."""

from __future__ import annotations

from ampctl.doctor.checkspec import CheckSpec, bind
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.identitymode import association, uses_pod_identity
from ampctl.doctor.model import Result, fail, ok, skip
from ampctl.endpoints import name_of
from ampctl.naming import ROLE_ARN_ANNOTATION

COMPONENTS = ("finops-agent", "aggregator", "cluster-controller")
# What each component does in the bucket: the finops-agent writes its cluster's data, the aggregator reads every
# cluster's (Kubecost's README at 3.2.1, "Federated storage"); the cluster-controller keeps its actions there (its
# Deployment mounts the same Secret as actions-store.yaml, templates/cluster-controller at 3.2.1).
ACCESS = {
    "finops-agent": (("s3:PutObject", "object"),),
    "aggregator": (("s3:ListBucket", "bucket"), ("s3:GetObject", "object")),
    "cluster-controller": (("s3:GetObject", "object"), ("s3:PutObject", "object")),
}


def account_of(facts: Facts, component: str) -> str | None:
    """The component's ServiceAccount on this cluster (None: it does not run here, as the aggregator on an agent)."""
    from ampctl.lines import v3 as line

    accounts = {line.FINOPS_AGENT: line.SA_FINOPS_AGENT, line.CLUSTER_CONTROLLER: line.cluster_controller_account(
        facts.options.release)}  # fmt: skip
    if facts.primary:
        accounts[line.AGGREGATOR] = line.SA_AGGREGATOR
    return accounts.get(component)


def _role_name(facts: Facts, component: str, sa: str) -> tuple[str, str]:
    """(the role the ServiceAccount's pods get, how): the IRSA annotation or the association, else ampctl's name."""
    from ampctl.naming import role_name

    if uses_pod_identity(facts):
        found = association(facts, sa)
        if found is not None:
            return name_of(str(found["roleArn"])), f"association {found.get('associationId')}"
        return role_name(facts.cluster, component), ""
    annotations = ((facts.service_account(sa) or {}).get("metadata") or {}).get("annotations") or {}
    arn = str(annotations.get(ROLE_ARN_ANNOTATION) or "")
    return (name_of(arn), ROLE_ARN_ANNOTATION) if ":role/" in arn else (role_name(facts.cluster, component), "")


def identity(facts: Facts, findings: Findings, component: str) -> Result:
    from ampctl.doctor.podidentity import _allowing, _allows
    from ampctl.doctor.trust import judge
    from ampctl.documents import POD_IDENTITY_ACTIONS, POD_IDENTITY_SERVICE, service_account_subject
    from ampctl.endpoints import issuer_host, oidc_provider_arn

    sa = account_of(facts, component)
    if sa is None:
        return skip(f"an agent runs no {component}")
    where = f"serviceaccount {facts.namespace}/{sa}"
    if facts.service_account(sa) is None:
        return fail(f"{where} does not exist: the {component} pods cannot start", f"{facts.repair()} creates it")
    name, bound = _role_name(facts, component, sa)
    pod_identity = uses_pod_identity(facts)
    if not bound:
        how = "no pod identity association" if pod_identity else f"no {ROLE_ARN_ANNOTATION} annotation"
        return fail(f"{where} has {how}: the {component} gets no AWS credentials", f"{facts.repair()} binds it")
    role = facts.role(name)
    if role is None:
        return fail(f"{where} -> IAM role {name}, which does not exist", f"{facts.repair()} creates it")
    document = role.get("AssumeRolePolicyDocument") or {}
    if pod_identity:
        from ampctl.documents import parse_document

        statements = _allowing(parse_document(document), POD_IDENTITY_SERVICE)
        missing = [a for a in POD_IDENTITY_ACTIONS if not any(_allows(st, a) for st in statements)]
        if missing:
            return fail(f"{name} does not trust {POD_IDENTITY_SERVICE} for {', '.join(missing)} (AccessDenied)",
                        f"{facts.repair()} rewrites the trust policy")  # fmt: skip
        return ok(f"{where} -> {name} ({bound}), trusted by {POD_IDENTITY_SERVICE}")
    issuer = facts.issuer()
    assert issuer
    subject = service_account_subject(facts.namespace, sa)
    provider = oidc_provider_arn(facts.account, issuer, region=facts.region)
    verdict = judge(document, provider, issuer_host(issuer), subject)
    if verdict.problems:
        return fail(f"{name} trust policy: {'; '.join(verdict.problems)}", f"{facts.repair()} rewrites it")
    return ok(f"{where} -> {name}, which trusts {subject}")


def access(facts: Facts, findings: Findings, component: str) -> Result:
    """The role may do what the component does in the bucket, and use the bucket's KMS key (S3 calls KMS for its
    caller under SSE-KMS: S3 User Guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)")."""
    from ampctl.doctor.irsa import role_grants
    from ampctl.doctor.kms import bucket_key
    from ampctl.documents import KMS_ACTIONS
    from ampctl.endpoints import arn

    sa = account_of(facts, component)
    if sa is None:
        return skip(f"an agent runs no {component}")
    name, _ = _role_name(facts, component, sa)
    if facts.role(name) is None:
        return skip(f"IAM role {name} does not exist")
    bucket, _ = facts.bucket(lambda: None)
    cluster_id = str(facts.value("global.clusterId", None) or facts.cluster)
    resources = {"bucket": arn("s3", bucket, region=facts.region),
                 "object": arn("s3", f"{bucket}/federated/{cluster_id}/x", region=facts.region)}  # fmt: skip
    lacking = [action for action, on in ACCESS[component] if not role_grants(facts, name, action, resources[on])]
    exists, key = bucket_key(facts, bucket)
    if exists and key:
        lacking += [a for a in KMS_ACTIONS if not role_grants(facts, name, a, key)]
    if lacking:
        where = f"bucket {bucket}" + (" and its key" if key else "")
        return fail(f"role {name} lacks {', '.join(lacking)} on {where}: the {component} gets AccessDenied",
                    f"{facts.repair()} attaches the cluster's S3 policy")  # fmt: skip
    granted = ", ".join(action for action, _ in ACCESS[component])
    return ok(f"{name} may {granted} in {bucket}" + (f" and use KMS key {key}" if key else ""))


def _specs() -> list[CheckSpec]:
    specs = []
    for c in COMPONENTS:
        specs += [
            CheckSpec(f"kubecost3.{c}.identity", "kubecost3", f"{c} role, ServiceAccount and trust",
                      bind(identity, c), ("identity.cluster", "identity.kubernetes")),
            CheckSpec(f"kubecost3.{c}.access", "kubecost3", f"{c} role may use the bucket", bind(access, c),
                      ("federated.bucket",)),
        ]  # fmt: skip
    return specs


SPECS = _specs()
