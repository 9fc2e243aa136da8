"""Which clusters to check: the current context, the given contexts, or (--all) every cluster ampctl
manages, found through the tags of its IAM roles and matched to kubeconfig contexts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ampctl.errors import AmpctlError
from ampctl.target import Target, load_kubeconfig, parse_context, resolve

if TYPE_CHECKING:
    from ampctl.aws.session import AwsSession

ROLE_PREFIX = "kubecost-"


def targets(
    contexts: Sequence[str], *, kubeconfig: str | None, cluster: str | None, region: str | None
) -> list[Target]:
    if cluster and len(contexts) > 1:
        raise AmpctlError("--cluster applies to a single context", "use EKS context ARNs for several clusters")
    chosen: list[str | None] = list(dict.fromkeys(contexts)) or [None]
    return [resolve(c, kubeconfig=kubeconfig, cluster=cluster, region=region) for c in chosen]


def managed_clusters(iam: Any) -> set[str]:
    """Cluster names from the IAM roles tagged managed-by=ampctl (tag ampctl/cluster)."""
    from functools import partial

    from ampctl.aws.iam import is_managed, role_tags
    from ampctl.naming import CLUSTER_TAG
    from ampctl.pool import together

    names = [
        role["RoleName"]
        for page in iam.get_paginator("list_roles").paginate()
        for role in page["Roles"]
        if role["RoleName"].startswith(ROLE_PREFIX)
    ]
    found: set[str] = set()
    # ListRoles answers without tags: every role's tags are asked at once.
    for tags in together([partial(role_tags, iam, name) for name in names]):
        if is_managed(tags):
            found.update(t["Value"] for t in tags if t.get("Key") == CLUSTER_TAG and t.get("Value"))
    return found


def all_targets(aws: AwsSession, kubeconfig: str | None) -> tuple[list[Target], list[str]]:
    """(targets for the managed clusters that have an EKS context in the caller's account, clusters without one)."""
    clusters = managed_clusters(aws.client("iam"))
    account = aws.account()
    found: dict[str, Target] = {}
    for ctx in load_kubeconfig(kubeconfig)["contexts"]:
        name = str(ctx.get("name") or "")
        parsed = parse_context(name)
        if parsed is None:
            continue
        ctx_region, ctx_account, ctx_cluster = parsed
        if ctx_cluster in clusters and ctx_account == account and ctx_cluster not in found:
            found[ctx_cluster] = Target(name, ctx_cluster, ctx_region, ctx_account, kubeconfig)
    if not clusters:
        raise AmpctlError(
            f"no IAM roles tagged managed-by=ampctl in account {account}",
            "set up a cluster with `ampctl bootstrap`, or pass --context",
        )
    ordered = [found[c] for c in sorted(found)]
    return ordered, sorted(clusters - set(found))


def discovery_region(region: str | None, kubeconfig: str | None) -> str | None:
    """A region for the IAM calls of --all (IAM is global): --region, else the first EKS context's."""
    if region:
        return region
    for ctx in load_kubeconfig(kubeconfig)["contexts"]:
        parsed = parse_context(str(ctx.get("name") or ""))
        if parsed:
            return parsed[0]
    return None
