"""EKS Pod Identity reads shared by provisioning, doctor and teardown: the agent add-on and the associations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ampctl.naming import MANAGED_BY_TAG

AGENT_ADDON = "eks-pod-identity-agent"
ACTIVE = "ACTIVE"
IN_PROGRESS = frozenset({"CREATING", "UPDATING"})


def _code(exc: BaseException) -> str:
    from ampctl.aws.errors import error_code

    return error_code(exc)


def addon(eks: Any, cluster: str, name: str = AGENT_ADDON) -> dict[str, Any] | None:
    """The add-on as DescribeAddon gives it, or None when the cluster does not have it."""
    from botocore.exceptions import ClientError

    try:
        return dict(eks.describe_addon(clusterName=cluster, addonName=name)["addon"])
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException" and "addon" in str(exc).lower():
            return None
        raise


def wait_active(
    eks: Any,
    cluster: str,
    name: str,
    *,
    seconds: float,
    poll: float,
    sleep: Callable[[float], None],
    progress: Callable[[str], None],
) -> None:
    """Wait for an add-on to be ACTIVE (DescribeAddon's status: CREATING, UPDATING, then ACTIVE, or a failure state;
    EKS API Reference, Addon), with a deadline; any other state, or the deadline, is one error with the fix."""
    import time

    from ampctl.errors import AmpctlError

    deadline = time.monotonic() + seconds
    progress(f"{cluster}: waiting for add-on {name} to be ACTIVE")
    while True:
        status = str((addon(eks, cluster, name) or {}).get("status", "missing"))
        if status == ACTIVE:
            return
        if status not in IN_PROGRESS or time.monotonic() >= deadline:
            raise AmpctlError(
                f"EKS add-on {name} on cluster {cluster} is {status}, not ACTIVE",
                f"see `aws eks describe-addon --cluster-name {cluster} --addon-name {name}`, then re-run ampctl",
            )
        sleep(poll)


def is_managed(tags: dict[str, str] | None) -> bool:
    key, value = MANAGED_BY_TAG
    return (tags or {}).get(key) == value


def associations(eks: Any, cluster: str, namespace: str, service_account: str | None = None) -> list[dict[str, Any]]:
    """The pod identity associations of a namespace (or of one ServiceAccount in it), each described in full."""
    kwargs: dict[str, Any] = {"clusterName": cluster, "namespace": namespace}
    if service_account is not None:
        kwargs["serviceAccount"] = service_account
    found = []
    for page in eks.get_paginator("list_pod_identity_associations").paginate(**kwargs):
        for summary in page["associations"]:
            found.append(describe(eks, cluster, str(summary["associationId"])))
    return [a for a in found if a is not None]


def describe(eks: Any, cluster: str, association_id: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        got = eks.describe_pod_identity_association(clusterName=cluster, associationId=association_id)
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException":
            return None  # deleted between the list and the describe
        raise
    return dict(got["association"])


def describe_association(association: dict[str, Any]) -> str:
    """namespace/serviceAccount -> role, for plans, doctor and render."""
    return f"{association['namespace']}/{association['serviceAccount']} -> {association['roleArn']}"


# Where the Pod Identity agent comes from: EKS Auto Mode has it built in and offers no eks-pod-identity-agent add-on
# (EKS User Guide, "Automate cluster infrastructure with EKS Auto Mode": Pod Identity agent among the capabilities it
# runs; DescribeCluster's Cluster.computeConfig.enabled, EKS API Reference, marks an Auto Mode cluster). Otherwise the
# add-on, or the same agent run by the user as DaemonSet kube-system/eks-pod-identity-agent ("Set up the Amazon EKS
# Pod Identity Agent"). botocore before the Auto Mode API (botocore 1.34.0's eks model has no computeConfig) drops
# the field: such a cluster then reads as not Auto Mode.
AGENT_NAMESPACE = "kube-system"
AGENT_DAEMONSET = "eks-pod-identity-agent"


def is_auto_mode(cluster: dict[str, Any] | None) -> bool:
    """Whether a DescribeCluster answer is an EKS Auto Mode cluster (compute managed by EKS)."""
    return bool(((cluster or {}).get("computeConfig") or {}).get("enabled"))


def agent_daemonset_ready(daemonset: dict[str, Any] | None) -> int:
    """How many pods of a self-managed agent DaemonSet are ready (0 when there is none)."""
    return int(((daemonset or {}).get("status") or {}).get("numberReady") or 0)
