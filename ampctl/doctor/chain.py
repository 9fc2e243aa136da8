"""A workspace in another account (A): the role chain of each component, hop by hop.

cluster role in B --(its policy allows sts:AssumeRole on the A role)--> A role --(its trust names exactly that B
role)--> AMP policy on the A role --> the values that make the sigv4 proxy and remote write assume it. Each hop
is read, not guessed: the B role's policies in B, the A role through the role ampctl assumes in A. The live PromQL
checks then prove the whole chain through Kubecost's pod. Run only when the workspace is in another account.

Under EKS Pod Identity the B role's session carries EKS's transitive session tags ("Define permissions for EKS Pod
Identities to assume roles based on tags", "Cross-account tags"), so the AssumeRole into A is also sts:TagSession:
both the B role's policy and the A role's trust must allow it (IAM User Guide, "Passing session tags in AWS STS",
"Permissions required to add session tags"), else "not authorized to perform: sts:TagSession".
"""

from __future__ import annotations

from typing import Any

from ampctl.doctor.checkspec import CheckSpec, bind
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.model import Result, fail, ok, skip
from ampctl.endpoints import name_of

COMPONENTS = ("cost-analyzer", "prometheus-server")
AREA = "chain"


def _roles(facts: Facts, findings: Findings, component: str) -> tuple[str, str, str]:
    """(the B role's name, its ARN, the A role's ARN)."""
    from ampctl.doctor.irsa import role_in_use
    from ampctl.naming import role_arn, workspace_role_name

    name = role_in_use(facts, findings, component)
    account = facts.clients.workspace_account or ""
    target = role_arn(account, workspace_role_name(facts.cluster, component), region=facts.region)
    return name, role_arn(facts.account, name, region=facts.region), target


def _fix(facts: Facts) -> str:
    return f"{facts.repair()[:-1]} --workspace-account-role {facts.options.workspace_role_arn}`"


def may_assume(facts: Facts, findings: Findings, component: str) -> Result:
    """Hop 1, in B: the cluster role's own policies allow sts:AssumeRole on its role in A."""
    from ampctl.doctor.irsa import role_grants

    name, _, target = _roles(facts, findings, component)
    if facts.role(name) is None:
        return skip(f"IAM role {name} does not exist")
    if not role_grants(facts, name, "sts:AssumeRole", target):
        return fail(
            f"role {name} (account {facts.account}) may not assume {target}: no policy of it allows sts:AssumeRole "
            "there, so the pods' AssumeRole is AccessDenied",
            f"{_fix(facts)} puts the assume policy back on {name}",
        )
    if _tagged(facts) and not role_grants(facts, name, "sts:TagSession", target):
        return fail(
            f"role {name} (account {facts.account}) may not pass its session tags to {target}: {TAGS_NEED}, and no "
            f"policy of it allows sts:TagSession there (AccessDenied: not authorized to perform: sts:TagSession)",
            f"{_fix(facts)} puts the assume policy with sts:TagSession on {name}",
        )
    return ok(f"{name} (account {facts.account}) may assume {target}" + (" with its session tags" * _tagged(facts)))


TAGS_NEED = "EKS Pod Identity's session tags are transitive, so the AssumeRole also needs sts:TagSession"


def _tagged(facts: Facts) -> bool:
    """The cluster role's sessions carry transitive tags: it gets its credentials from EKS Pod Identity."""
    from ampctl.doctor.identitymode import uses_pod_identity

    return uses_pod_identity(facts)


def _workspace_role(facts: Facts, arn: str) -> dict[str, Any] | None:
    from ampctl.aws.iam import get_role

    found: dict[str, Any] | None = facts.once(
        f"workspace-role:{arn}", lambda: get_role(facts.clients.workspace_client("iam"), name_of(arn))
    )
    return found


def trusted(facts: Facts, findings: Findings, component: str) -> Result:
    """Hop 2, in A: the role exists and its trust policy names exactly the cluster role, for sts:AssumeRole."""
    from ampctl.documents import parse_document

    _, source, target = _roles(facts, findings, component)
    account = facts.clients.workspace_account
    role = _workspace_role(facts, target)
    if role is None:
        return fail(f"role {target} does not exist in workspace account {account}", f"{_fix(facts)} creates it")
    document = parse_document(role.get("AssumeRolePolicyDocument") or {})
    statements = document.get("Statement") or []
    named: dict[str, list[str]] = {"sts:AssumeRole": [], "sts:TagSession": []}
    for st in [statements] if isinstance(statements, dict) else statements:
        actions = st.get("Action") or []
        principals = (st.get("Principal") or {}).get("AWS", []) if isinstance(st.get("Principal"), dict) else []
        for action, names in named.items():
            if st.get("Effect") == "Allow" and action in ([actions] if isinstance(actions, str) else actions):
                names += [principals] if isinstance(principals, str) else list(principals)
    if named["sts:AssumeRole"] != [source]:
        found = ", ".join(named["sts:AssumeRole"]) or "no role"
        return fail(
            f"role {name_of(target)} in workspace account {account} does not trust {source}: its trust "
            f"policy names {found}, so {component}'s sts:AssumeRole into account {account} is refused",
            f"{_fix(facts)} rewrites the trust policy in account {account}",
        )
    if _tagged(facts) and source not in named["sts:TagSession"]:
        return fail(
            f"role {name_of(target)} in workspace account {account} trusts {source} for sts:AssumeRole only: "
            f"{TAGS_NEED} (AccessDenied: not authorized to perform: sts:TagSession)",
            f"{_fix(facts)} rewrites the trust policy in account {account}",
        )
    return ok(f"{name_of(target)} (account {account}) trusts exactly {source}" + (" with its tags" * _tagged(facts)))


def amp_policy(facts: Facts, findings: Findings, component: str) -> Result:
    """Hop 3, in A: the role holds AMP's managed policy for what the component does."""
    from ampctl.aws.iam import attached_policy_arns
    from ampctl.doctor.irsa import AMP_POLICY
    from ampctl.naming import aws_policy_arn

    _, _, target = _roles(facts, findings, component)
    if _workspace_role(facts, target) is None:
        return skip(f"role {target} does not exist")
    policy, action = AMP_POLICY[component]
    name = name_of(target)
    if aws_policy_arn(policy, region=facts.region) not in attached_policy_arns(
        facts.clients.workspace_client("iam"), name
    ):
        return fail(
            f"role {name} in workspace account {facts.clients.workspace_account} lacks {policy}: {action} is denied",
            f"{_fix(facts)} attaches it",
        )
    return ok(f"{name}: {policy}")


def values(facts: Facts, findings: Findings) -> Result:
    """The values make the sigv4 proxy and Prometheus's remote write assume the roles in A."""
    from ampctl.chartkeys import QUERY_ROLE_KEY, WRITE_ROLE_KEY

    if facts.release() is None:
        return skip("no release")
    wrong = []
    for key, component in ((QUERY_ROLE_KEY, "cost-analyzer"), (WRITE_ROLE_KEY, "prometheus-server")):
        expected = _roles(facts, findings, component)[2]
        got = facts.value(key, None)
        if got != expected:
            wrong.append(f"{key} is {got or 'unset'}, expected {expected}")
    if wrong:
        return fail("; ".join(wrong), f"{_fix(facts)} sets them")
    return ok(f"{QUERY_ROLE_KEY} and {WRITE_ROLE_KEY} name this cluster's roles in the workspace account")


def _specs() -> list[CheckSpec]:
    specs = []
    for c in COMPONENTS:
        specs += [
            CheckSpec(f"chain.{c}.assume", AREA, f"{c} role may assume its role in A", bind(may_assume, c),
                      ("identity.account",)),
            CheckSpec(f"chain.{c}.trust", AREA, f"{c} role in A trusts it", bind(trusted, c), ("identity.account",)),
            CheckSpec(f"chain.{c}.policy", AREA, f"{c} role in A has AMP's policy", bind(amp_policy, c),
                      ("identity.account",)),
        ]  # fmt: skip
    specs.append(CheckSpec("chain.values", AREA, "role_arn values", values, ("identity.account",)))
    return specs


SPECS = _specs()
