"""Releases a GitOps engine owns: who installed the release (ampctl's helm, Argo CD or Flux: ampctl.gitops.owner),
and on a GitOps-managed cluster which keys of the values on the cluster differ from the ones `ampctl render --gitops`
writes for it."""

from __future__ import annotations

from typing import Any

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.model import Result, ok, skip, warn
from ampctl.gitops.owner import owner


def _owner(facts: Facts) -> str | None:
    deployment = facts.deployment(facts.fullname) or {}
    return owner(deployment.get("metadata") or {}, facts.options.release)


def release_owner(facts: Facts, findings: Findings) -> Result:
    engine = _owner(facts)
    shape = facts.fleet_shape()
    gitops = shape is not None and shape.gitops
    if engine is None and gitops:
        return warn(
            "the fleet is GitOps-managed, but the release carries no Argo CD or Flux marks: installed by hand?",
            "let the engine install it from `ampctl render --gitops` (README: 'GitOps')",
        )
    if engine is not None and shape is not None and not gitops:
        return warn(
            f"{engine} owns the release, but the fleet's shape says ampctl installs the releases",
            "record the fleet as GitOps-managed: `ampctl bootstrap --no-helm --yes` on the primary",
        )
    return ok(engine or "helm (ampctl)")


def _leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(_leaves(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _at(tree: Any, path: str) -> Any:
    from ampctl.chartkeys import at

    return at(tree, path)


def rendered_values(facts: Facts, findings: Findings) -> dict[str, Any] | None:
    """What `render --gitops` writes for this cluster, from the fleet's shape and the cluster's facts."""
    from ampctl.doctor.shape import role
    from ampctl.endpoints import account_of
    from ampctl.gitops.layout import VALUES_ONLY_ISSUER, Member
    from ampctl.gitops.values import tree
    from ampctl.spec import ClusterSpec

    release, shape, ws = facts.release(), facts.fleet_shape(), findings.known_workspace_id(facts)
    if release is None or shape is None or ws is None:
        return None
    query_role = facts.value("sigV4Proxy.role_arn", None)
    product_key = facts.value("kubecostProductConfigs.productKey.secretname", None)
    spec = ClusterSpec(
        cluster=facts.cluster, region=facts.region, account=facts.account,
        oidc_issuer=VALUES_ONLY_ISSUER.format(region=facts.region), workspace_id=ws,
        namespace=facts.namespace, release=facts.options.release, primary=role(facts, shape) == "primary",
        federated=shape.federated, bucket=shape.bucket if shape.federated else None,
        chart_version=release.chart_version, product_key_secret=str(product_key) if product_key else None,
        prom_cluster_id_label=facts.value("kubecostModel.promClusterIDLabel", None),
        workspace_account=account_of(str(query_role)) if query_role else None, identity=shape.identity,
    )  # fmt: skip
    return tree(Member(spec))


def values_drift(facts: Facts, findings: Findings) -> Result:
    from ampctl.errors import AmpctlError

    shape = facts.fleet_shape()
    engine = _owner(facts)
    if not (shape is not None and shape.gitops) and engine is None:
        return ok("ampctl installs this release: `bootstrap`/`add-cluster --dry-run` show its drift")
    try:
        desired = rendered_values(facts, findings)
    except AmpctlError as exc:
        return skip(f"cannot render this cluster's values: {exc.message}")
    if desired is None:
        return skip("the release, the fleet's shape or the workspace is unknown")
    actual = facts.values
    drifted = [key for key, want in _leaves(desired).items() if _at(actual, key) != want]
    if drifted:
        shown = ", ".join(drifted[:6]) + (f" and {len(drifted) - 6} more" if len(drifted) > 6 else "")
        return warn(
            f"{len(drifted)} key(s) on the cluster differ from what `ampctl render --gitops` writes: {shown}",
            f"render again and commit, or find who changed {facts.cluster}'s values outside Git",
        )
    return ok(f"the values on the cluster are the rendered ones ({engine or 'no engine marks'})")


SPECS = [
    CheckSpec("release.owner", "release", "Who installs the release", release_owner, ("release.status",)),
    CheckSpec(
        "values.gitops-drift",
        "release",
        "Values as rendered for GitOps",
        values_drift,
        ("release.status", "identity.workspace"),
    ),  # fmt: skip
]
