"""Which identity a cluster's pods use, irsa or pod-identity, and the EKS pod identity associations it has.

The fleet's recorded identity decides; without a record, associations ampctl made in the namespace mean Pod Identity.
"""

from __future__ import annotations

from typing import Any

from ampctl.doctor.facts import Facts
from ampctl.versions import IRSA, POD_IDENTITY


def associations(facts: Facts) -> list[dict[str, Any]]:
    """The pod identity associations of the Kubecost namespace, described (read once)."""
    from ampctl.aws.eks import associations as read

    found: list[dict[str, Any]] = facts.once(
        "associations", lambda: read(facts.client("eks"), facts.cluster, facts.namespace)
    )
    return found


def association(facts: Facts, service_account: str) -> dict[str, Any] | None:
    return next((a for a in associations(facts) if a.get("serviceAccount") == service_account), None)


def identity(facts: Facts) -> str:
    from ampctl.aws.eks import is_managed

    def decide() -> str:
        shape = facts.fleet_shape()
        if shape is not None and shape.source == "recorded":
            return shape.identity
        try:
            ours = [a for a in associations(facts) if is_managed(a.get("tags"))]
        except Exception:  # noqa: BLE001 - e.g. no eks:ListPodIdentityAssociations: an IRSA set-up
            return IRSA
        return POD_IDENTITY if ours else IRSA

    found: str = facts.once("identity", decide)
    return found


def uses_pod_identity(facts: Facts) -> bool:
    return identity(facts) == POD_IDENTITY


def role_of(facts: Facts, service_account: str, annotated: str | None) -> str | None:
    """The role ARN the pods of a ServiceAccount get: the IRSA annotation's, else (Pod Identity) the association's."""
    if annotated or not uses_pod_identity(facts):
        return annotated
    found = association(facts, service_account)
    return str(found["roleArn"]) if found else None


def observed(facts: Facts) -> str | None:
    """The identity the cluster shows: ampctl's associations and no role annotation (pod-identity), or the
    annotation and no association (irsa); None when it shows both, neither, or cannot be read."""
    from ampctl.aws.eks import is_managed
    from ampctl.naming import ROLE_ARN_ANNOTATION
    from ampctl.spec import SA_COST_ANALYZER

    try:
        ours = any(is_managed(a.get("tags")) for a in associations(facts))
        account = facts.service_account(SA_COST_ANALYZER) or {}
    except Exception:  # noqa: BLE001 - unknown: not compared
        return None
    annotated = bool(((account.get("metadata") or {}).get("annotations") or {}).get(ROLE_ARN_ANNOTATION))
    if ours != annotated:
        return POD_IDENTITY if ours else IRSA
    return None
