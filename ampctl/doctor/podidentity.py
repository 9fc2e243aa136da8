"""EKS Pod Identity: its agent (EKS Auto Mode, the add-on or a self-managed DaemonSet), and for each of cost-analyzer
and prometheus-server its
pod identity association (namespace, ServiceAccount, role), its role's trust of pods.eks.amazonaws.com, and no
IRSA annotation left on its ServiceAccount. Skipped on clusters that use IRSA."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from ampctl.doctor.checkspec import CheckSpec, bind
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
    """An agent hands the pods their credentials: built into EKS Auto Mode, the add-on, or a self-managed DaemonSet."""
    from ampctl.aws.eks import (
        ACTIVE,
        AGENT_ADDON,
        AGENT_DAEMONSET,
        AGENT_NAMESPACE,
        addon,
        agent_daemonset_ready,
        is_auto_mode,
    )

    if not uses_pod_identity(facts):
        return skip(UNDER_IRSA)
    found = addon(facts.client("eks"), facts.cluster)
    if is_auto_mode(facts.eks_cluster()):
        if found is not None:
            return warn(
                f"EKS Auto Mode has the Pod Identity agent built in, yet add-on {AGENT_ADDON} is installed "
                f"({found.get('status')})",
                f"`aws eks delete-addon --cluster-name {facts.cluster} --addon-name {AGENT_ADDON} --region "
                f"{facts.region}`; ampctl never installs it on Auto Mode",
            )
        return ok("EKS Auto Mode: the Pod Identity agent is built in (no add-on needed)")
    where = f"DaemonSet {AGENT_NAMESPACE}/{AGENT_DAEMONSET}"
    daemonset = facts.kube.read("daemon_set", AGENT_NAMESPACE, AGENT_DAEMONSET, group="apps")
    install = (
        f"{_repair(facts, ' --install-pod-identity-agent')}, or `aws eks create-addon --cluster-name "
        f"{facts.cluster} --addon-name {AGENT_ADDON} --region {facts.region}`"
    )
    if found is None:
        ready = agent_daemonset_ready(daemonset)
        if ready:
            return ok(f"self-managed Pod Identity agent: {where}, {ready} ready (no add-on)")
        if daemonset is not None:
            return fail(f"self-managed Pod Identity agent {where} has no ready pod: pods get no credentials "
                        "(NoCredentialProviders)", f"`kubectl -n {AGENT_NAMESPACE} describe daemonset "
                        f"{AGENT_DAEMONSET}`, or {install}")  # fmt: skip
        return fail(
            f"no Pod Identity agent: add-on {AGENT_ADDON} is not installed, no {where} runs, and the cluster is not "
            "EKS Auto Mode: pods get no credentials through their associations (NoCredentialProviders)",
            install,
        )
    status = str(found.get("status"))
    if status != ACTIVE:
        return fail(f"add-on {AGENT_ADDON} is {status}, not ACTIVE", install)
    return ok(f"add-on {AGENT_ADDON} {status}, version {found.get('addonVersion', '?')}")


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


CLUSTER_SOURCE_ARN = (
    "trust uses the cluster ARN as aws:SourceArn; EKS sends the association ARN, so EKS Pod Identity is refused "
    "(AccessDenied)"
)


def trusted(facts: Facts, findings: Findings, component: str) -> Result:
    """The role trusts pods.eks.amazonaws.com for sts:AssumeRole and sts:TagSession, under the session-tag conditions
    ampctl writes (documents.pod_identity_trust_policy), and not under a cluster-ARN aws:SourceArn."""
    from ampctl.documents import (
        POD_IDENTITY_ACTIONS,
        POD_IDENTITY_SERVICE,
        cluster_arn,
        parse_document,
        pod_identity_conditions,
    )
    from ampctl.spec import ClusterSpec

    if not uses_pod_identity(facts):
        return skip(UNDER_IRSA)
    sa = service_account_name(facts, findings, component)
    found = association(facts, sa)
    name = name_of(str(found["roleArn"])) if found else name_of(_expected_role(facts, component))
    role = facts.role(name)
    if role is None:
        return fail(f"IAM role {name} does not exist", f"{facts.repair()} creates it")
    rewrite = f"re-run bootstrap: {facts.repair()} rewrites the trust policy"
    spec = ClusterSpec(facts.cluster, facts.region, facts.account, "", "", namespace=facts.namespace)
    expected = pod_identity_conditions(spec, sa)
    statements = _allowing(parse_document(role.get("AssumeRolePolicyDocument") or {}), POD_IDENTITY_SERVICE)
    if not statements:
        return fail(f"{name} does not trust {POD_IDENTITY_SERVICE}: EKS Pod Identity cannot assume it (AccessDenied)",
                    rewrite)  # fmt: skip
    missing = [a for a in POD_IDENTITY_ACTIONS if not any(_allows(st, a) for st in statements)]
    if missing:
        return fail(f"{name} trusts {POD_IDENTITY_SERVICE} without {', '.join(missing)} (AccessDenied)", rewrite)
    conditions = _conditions(statements)
    source = conditions.get("aws:sourcearn", "")
    if source and ":podidentityassociation/" not in source:
        cluster = " (this cluster's)" if source == cluster_arn(spec) else ""
        return fail(f"{name}: {CLUSTER_SOURCE_ARN}; aws:SourceArn is {source}{cluster}", rewrite)
    wrong = [f"{k} is {conditions[k.lower()]}, not {v}" for k, v in expected.items()
             if k.lower() in conditions and conditions[k.lower()] != v]  # fmt: skip
    if wrong:
        return fail(f"{name} trust: {'; '.join(wrong)} (AccessDenied)", rewrite)
    absent = [k for k in expected if k.lower() not in conditions]
    if absent:
        return warn(f"{name} trusts {POD_IDENTITY_SERVICE} without a condition on {', '.join(absent)}: other "
                    "clusters' or ServiceAccounts' associations may use it", f"{facts.repair()} adds them")  # fmt: skip
    return ok(f"{name} trusts {POD_IDENTITY_SERVICE} ({', '.join(POD_IDENTITY_ACTIONS)}) for {facts.namespace}/{sa} "
              f"on {expected['aws:RequestTag/eks-cluster-arn']}")  # fmt: skip


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
    """Condition key (lower case) -> the value the trust states for it (first value of any operator)."""
    found: dict[str, str] = {}
    for st in statements:
        for block in (st.get("Condition") or {}).values():
            for key, value in (block or {}).items():
                found.setdefault(str(key).lower(), _listed(value)[0])
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
    """The running sigv4 proxy's SDK must have the Pod Identity credential provider: aws-sigv4-proxy 1.9 and later
    (v1.9 vendors aws-sdk-go v1.54.19, whose container provider reads AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE; v1.8's
    v1.44.233 does not: aws/defaults/defaults.go under vendor/ at each tag)."""
    import re

    from ampctl.chartkeys import PROXY_POD_IDENTITY_FROM, SIGV4_PROXY_POD_IDENTITY_IMAGE
    from ampctl.doctor.kubefacts import container, pod_template

    if not uses_pod_identity(facts):
        return skip(UNDER_IRSA)
    sidecar = container(pod_template(facts.deployment(facts.fullname)), "sigv4proxy")
    if sidecar is None:
        return skip(f"deployment {facts.fullname} has no sigv4proxy container")
    image = str(sidecar.get("image") or "")
    tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
    found = re.match(r"^v?(\d+)\.(\d+)", tag)
    if found is None or (int(found[1]), int(found[2])) < PROXY_POD_IDENTITY_FROM:
        return fail(
            f"the sigv4 proxy runs {image or 'no image'}: older than 1.9, the first release whose AWS SDK finds EKS "
            "Pod Identity credentials (`latest` is unpinned), so it logs NoCredentialProviders",
            f"{facts.repair()} pins {SIGV4_PROXY_POD_IDENTITY_IMAGE} (drop any -f/--set of sigV4Proxy.image)",
        )
    return ok(f"the sigv4 proxy runs {image}")


def _specs() -> list[CheckSpec]:
    needs = ("identity.cluster", "identity.account")
    specs = [
        CheckSpec("pod-identity.agent", "pod-identity", "EKS Pod Identity agent", agent,
                  (*needs, "identity.kubernetes")),
        CheckSpec("pod-identity.sigv4-proxy-image", "pod-identity", "sigv4 proxy image knows Pod Identity",
                  proxy_image, ("identity.kubernetes",)),
    ]  # fmt: skip
    for c in COMPONENTS:
        specs += [
            CheckSpec(f"pod-identity.{c}.association", "pod-identity", f"{c} pod identity association",
                      bind(associated, c), needs, ("identity.kubernetes",)),
            CheckSpec(f"pod-identity.{c}.trust", "pod-identity", f"{c} role trusts EKS Pod Identity",
                      bind(trusted, c), needs),
            CheckSpec(f"pod-identity.{c}.annotation", "pod-identity", f"{c} ServiceAccount without IRSA annotation",
                      bind(no_annotation, c), (*needs, "identity.kubernetes")),
        ]  # fmt: skip
    return specs


SPECS = _specs()
