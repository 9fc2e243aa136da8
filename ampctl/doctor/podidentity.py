"""EKS Pod Identity: the eks-pod-identity-agent add-on, and for each of cost-analyzer and prometheus-server its
pod identity association (namespace, ServiceAccount, role), its role's trust of pods.eks.amazonaws.com, and no
IRSA annotation left on its ServiceAccount. Skipped on clusters that use IRSA."""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

from ampctl.doctor.checkspec import CheckFn, CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.identitymode import association, uses_pod_identity
from ampctl.doctor.irsa import COMPONENTS, service_account_name
from ampctl.doctor.model import Result, fail, ok, skip, warn
from ampctl.endpoints import name_of
from ampctl.naming import ROLE_ARN_ANNOTATION

UNDER_IRSA = "the cluster uses IRSA (checked under irsa.*)"


def _repair(facts: Facts, extra: str = "") -> str:
    """facts.repair() with extra flags inside its backticks."""
    return facts.repair()[:-1] + f"{extra}`" if extra else facts.repair()


def agent(facts: Facts, findings: Findings) -> Result:
    from ampctl.aws.eks import ACTIVE, AGENT_ADDON, addon

    if not uses_pod_identity(facts):
        return skip(UNDER_IRSA)
    found = addon(facts.client("eks"), facts.cluster)
    install = (
        f"{_repair(facts, ' --install-pod-identity-agent')}, or `aws eks create-addon --cluster-name "
        f"{facts.cluster} --addon-name {AGENT_ADDON} --region {facts.region}`"
    )
    if found is None:
        return fail(
            f"add-on {AGENT_ADDON} is not installed: pods get no credentials through their associations "
            "(NoCredentialProviders)",
            install,
        )
    status = str(found.get("status"))
    if status != ACTIVE:
        return fail(f"add-on {AGENT_ADDON} is {status}, not ACTIVE", install)
    return ok(f"{AGENT_ADDON} {status}, version {found.get('addonVersion', '?')}")


def _expected_role(facts: Facts, component: str) -> str:
    from ampctl.naming import role_arn, role_name

    return role_arn(facts.account, role_name(facts.cluster, component), region=facts.region)


def associated(facts: Facts, findings: Findings, component: str) -> Result:
    if not uses_pod_identity(facts):
        return skip(UNDER_IRSA)
    sa = service_account_name(facts, findings, component)
    where = f"{facts.namespace}/{sa}"
    found = association(facts, sa)
    expected = _expected_role(facts, component)
    if found is None:
        return fail(
            f"no pod identity association for serviceaccount {where}: its pods get no AWS credentials",
            f"{facts.repair()} creates it",
        )
    role = str(found.get("roleArn"))
    if facts.role(name_of(role)) is None:
        return fail(f"association {found['associationId']} binds {where} to {role}, which does not exist",
                    f"{facts.repair()} points it at {expected}")  # fmt: skip
    if role != expected:
        return warn(f"association {found['associationId']} binds {where} to {role}, not ampctl's {expected}",
                    f"fine if intended; {facts.repair()} points it at {expected}")  # fmt: skip
    return ok(f"{where} -> {role} ({found['associationId']})")


def trusted(facts: Facts, findings: Findings, component: str) -> Result:
    from ampctl.documents import POD_IDENTITY_ACTIONS, POD_IDENTITY_SERVICE, cluster_arn, parse_document
    from ampctl.spec import ClusterSpec

    if not uses_pod_identity(facts):
        return skip(UNDER_IRSA)
    found = association(facts, service_account_name(facts, findings, component))
    name = name_of(str(found["roleArn"])) if found else name_of(_expected_role(facts, component))
    role = facts.role(name)
    if role is None:
        return fail(f"IAM role {name} does not exist", f"{facts.repair()} creates it")
    spec = ClusterSpec(facts.cluster, facts.region, facts.account, "", "")
    expected = {"aws:SourceAccount": facts.account, "aws:SourceArn": cluster_arn(spec)}
    statements = _allowing(parse_document(role.get("AssumeRolePolicyDocument") or {}), POD_IDENTITY_SERVICE)
    if not statements:
        return fail(f"{name} does not trust {POD_IDENTITY_SERVICE}: EKS Pod Identity cannot assume it (AccessDenied)",
                    f"{facts.repair()} rewrites the trust policy")  # fmt: skip
    missing = [a for a in POD_IDENTITY_ACTIONS if not any(_allows(st, a) for st in statements)]
    if missing:
        return fail(f"{name} trusts {POD_IDENTITY_SERVICE} without {', '.join(missing)} (AccessDenied)",
                    f"{facts.repair()} rewrites the trust policy")  # fmt: skip
    conditions = _conditions(statements)
    wrong = [f"{k} is {v}, not {expected[k]}" for k, v in conditions.items() if k in expected and v != expected[k]]
    if wrong:
        return fail(f"{name} trust: {'; '.join(wrong)} (AccessDenied)", f"{facts.repair()} rewrites the trust policy")
    absent = [k for k in expected if k not in conditions]
    if absent:
        return warn(f"{name} trusts {POD_IDENTITY_SERVICE} without a condition on {', '.join(absent)}: any "
                    "cluster's association may use it", f"{facts.repair()} adds them")  # fmt: skip
    return ok(
        f"{name} trusts {POD_IDENTITY_SERVICE} ({', '.join(POD_IDENTITY_ACTIONS)}) for {expected['aws:SourceArn']}"
    )


def _listed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _allowing(document: dict[str, Any], service: str) -> list[dict[str, Any]]:
    statements = document.get("Statement") or []
    found = []
    for st in [statements] if isinstance(statements, dict) else statements:
        principal = st.get("Principal") or {}
        services = _listed(principal.get("Service", [])) if isinstance(principal, dict) else []
        if st.get("Effect") == "Allow" and service in services:
            found.append(st)
    return found


def _allows(statement: dict[str, Any], action: str) -> bool:
    return any(fnmatchcase(action.lower(), a.lower()) for a in _listed(statement.get("Action", [])))


def _conditions(statements: list[dict[str, Any]]) -> dict[str, str]:
    """aws:SourceAccount / aws:SourceArn as the trust states them (first value of any operator)."""
    found: dict[str, str] = {}
    for st in statements:
        for block in (st.get("Condition") or {}).values():
            for key, value in (block or {}).items():
                if key.lower() in ("aws:sourceaccount", "aws:sourcearn"):
                    name = "aws:SourceAccount" if key.lower() == "aws:sourceaccount" else "aws:SourceArn"
                    found.setdefault(name, _listed(value)[0])
    return found


def no_annotation(facts: Facts, findings: Findings, component: str) -> Result:
    if not uses_pod_identity(facts):
        return skip(UNDER_IRSA)
    sa_name = service_account_name(facts, findings, component)
    where = f"serviceaccount {facts.namespace}/{sa_name}"
    sa = facts.service_account(sa_name)
    if sa is None:
        return fail(f"{where} does not exist", f"{facts.repair()} creates it")
    annotated = ((sa.get("metadata") or {}).get("annotations") or {}).get(ROLE_ARN_ANNOTATION)
    deploy = facts.deployment_name(component)
    restart = f"then `kubectl -n {facts.namespace} rollout restart deployment/{deploy}`"
    if annotated:
        return fail(f"{where} still carries {ROLE_ARN_ANNOTATION}={annotated}: the SDK tries IRSA first, with a "
                    "role that trusts only EKS Pod Identity", f"{facts.repair()} removes it, {restart}")  # fmt: skip
    found = facts.deployment(deploy)
    for pod in facts.pods(found) if found else []:
        for c in (pod.get("spec") or {}).get("containers") or []:
            if any(e.get("name") == "AWS_ROLE_ARN" for e in c.get("env") or []):
                return fail(f"pod {pod['metadata']['name']} still runs with IRSA's AWS_ROLE_ARN", restart[5:])
    return ok(f"{where} has no {ROLE_ARN_ANNOTATION} annotation")


def proxy_image(facts: Facts, findings: Findings) -> Result:
    """The running sigv4 proxy's SDK must have the Pod Identity credential provider (aws-sigv4-proxy 1.11+)."""
    import re

    from ampctl.chartkeys import SIGV4_PROXY_POD_IDENTITY_IMAGE
    from ampctl.doctor.kubefacts import container, pod_template

    if not uses_pod_identity(facts):
        return skip(UNDER_IRSA)
    sidecar = container(pod_template(facts.deployment(facts.fullname)), "sigv4proxy")
    if sidecar is None:
        return skip(f"deployment {facts.fullname} has no sigv4proxy container")
    image = str(sidecar.get("image") or "")
    tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
    found = re.match(r"^v?(\d+)\.(\d+)", tag)
    if found is None or (int(found[1]), int(found[2])) < (1, 11):
        return fail(
            f"the sigv4 proxy runs {image or 'no image'}: not a release known to find EKS Pod Identity credentials "
            "(1.11 and later do; `latest` is unpinned), so it logs NoCredentialProviders",
            f"{facts.repair()} pins {SIGV4_PROXY_POD_IDENTITY_IMAGE} (drop any -f/--set of sigV4Proxy.image)",
        )
    return ok(f"the sigv4 proxy runs {image}")


def _bind(fn: Callable[[Facts, Findings, str], Result], component: str) -> CheckFn:
    return lambda facts, findings: fn(facts, findings, component)


def _specs() -> list[CheckSpec]:
    needs = ("identity.cluster", "identity.account")
    specs = [
        CheckSpec("pod-identity.agent", "pod-identity", "eks-pod-identity-agent add-on", agent, needs),
        CheckSpec("pod-identity.sigv4-proxy-image", "pod-identity", "sigv4 proxy image knows Pod Identity",
                  proxy_image, ("identity.kubernetes",)),
    ]  # fmt: skip
    for c in COMPONENTS:
        specs += [
            CheckSpec(f"pod-identity.{c}.association", "pod-identity", f"{c} pod identity association",
                      _bind(associated, c), needs, ("identity.kubernetes",)),
            CheckSpec(f"pod-identity.{c}.trust", "pod-identity", f"{c} role trusts EKS Pod Identity",
                      _bind(trusted, c), needs),
            CheckSpec(f"pod-identity.{c}.annotation", "pod-identity", f"{c} ServiceAccount without IRSA annotation",
                      _bind(no_annotation, c), (*needs, "identity.kubernetes")),
        ]  # fmt: skip
    return specs


SPECS = _specs()
