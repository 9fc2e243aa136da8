"""Steps for EKS Pod Identity: the eks-pod-identity-agent add-on and one pod identity association per
ServiceAccount (created, re-pointed at its role, or, back under IRSA, deleted)."""

from __future__ import annotations

import contextlib
from typing import Any

from ampctl.aws import eks as eksapi
from ampctl.errors import AmpctlError
from ampctl.plan.step import Action, Change, Step
from ampctl.provision.context import ClusterRun

AGENT_WAIT_SECONDS = 600.0
AGENT_POLL_SECONDS = 1.0


def _agent_fix(run: ClusterRun) -> str:
    return (
        f"re-run with --install-pod-identity-agent, or `aws eks create-addon --cluster-name {run.cluster} "
        f"--addon-name {eksapi.AGENT_ADDON} --region {run.region}`"
    )


class CheckPodIdentityAgent(Step[ClusterRun]):
    """An agent must run: built into EKS Auto Mode, a self-managed DaemonSet, or the add-on ACTIVE; with
    --install-pod-identity-agent the add-on is created and waited for (never on Auto Mode, which has none)."""

    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("pod-identity-agent",)

    def __init__(self, run: ClusterRun) -> None:
        self.title = f"EKS add-on {eksapi.AGENT_ADDON} on cluster {run.cluster}"

    def check(self, run: ClusterRun) -> Change:
        if eksapi.is_auto_mode(run.described()):
            return Change.unchanged("built into EKS Auto Mode")
        found = eksapi.addon(run.client("eks"), run.cluster)
        if found is None:
            ready = eksapi.agent_daemonset_ready(
                run.kube.read("daemon_set", eksapi.AGENT_NAMESPACE, eksapi.AGENT_DAEMONSET, group="apps")
            )
            if ready:
                return Change.unchanged(
                    f"self-managed DaemonSet {eksapi.AGENT_NAMESPACE}/{eksapi.AGENT_DAEMONSET}, {ready} ready"
                )
            if not run.request.install_pod_identity_agent:
                raise AmpctlError(
                    f"EKS add-on {eksapi.AGENT_ADDON} is not installed on cluster {run.cluster}, no self-managed "
                    f"DaemonSet {eksapi.AGENT_NAMESPACE}/{eksapi.AGENT_DAEMONSET} is ready and the cluster is not "
                    "EKS Auto Mode: EKS Pod Identity cannot hand credentials to the pods",
                    _agent_fix(run),
                )
            return Change.create("and wait until ACTIVE")
        return addon_change(run.cluster, eksapi.AGENT_ADDON, found)

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.naming import aws_tags

        eks = run.client("eks")
        if change.action is Action.CREATE:
            # Made since the plan (a lost answer, another run): waited for like ours.
            with contextlib.suppress(eks.exceptions.ResourceInUseException):
                tags = aws_tags(run.cluster, run.request.fleet)
                eks.create_addon(clusterName=run.cluster, addonName=eksapi.AGENT_ADDON, tags=tags)
        eksapi.wait_active(
            eks, run.cluster, eksapi.AGENT_ADDON, seconds=AGENT_WAIT_SECONDS, poll=AGENT_POLL_SECONDS,
            sleep=run.sleep, progress=run.progress,
        )  # fmt: skip


def addon_change(cluster: str, name: str, found: dict[str, Any]) -> Change:
    """What an existing add-on needs: nothing when ACTIVE, a wait while CREATING or UPDATING; any other state (a
    failure: DescribeAddon's status, EKS API Reference, Addon) is one error with the fix."""
    status = str(found.get("status"))
    if status == eksapi.ACTIVE:
        return Change.unchanged(f"{status}, version {found.get('addonVersion', '?')}")
    if status in eksapi.IN_PROGRESS:
        return Change.update(f"wait until ACTIVE (now {status})")
    raise AmpctlError(
        f"EKS add-on {name} on cluster {cluster} is {status}",
        f"see `aws eks describe-addon --cluster-name {cluster} --addon-name {name}`; "
        "delete and re-create it, then re-run ampctl",
    )


def _require_managed(association: dict[str, Any]) -> None:
    if not eksapi.is_managed(association.get("tags")):
        raise AmpctlError(
            f"pod identity association {association['associationId']} ({eksapi.describe_association(association)}) "
            "exists but is not managed by ampctl",
            "delete it (aws eks delete-pod-identity-association), or tag it managed-by=ampctl to adopt it",
        )


class EnsurePodIdentityAssociation(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("roles", "pod-identity-agent")
    gives: tuple[str, ...] = ("pod-identity-associations",)

    def __init__(self, run: ClusterRun, component: str, service_account: str) -> None:
        from ampctl.naming import role_arn, role_name

        self.namespace = run.request.namespace
        self.service_account = service_account
        self.role_arn = role_arn(run.account, role_name(run.cluster, component), region=run.region)
        role = role_name(run.cluster, component)
        self.title = f"pod identity association {self.namespace}/{service_account} -> IAM role {role}"

    def _found(self, run: ClusterRun) -> dict[str, Any] | None:
        found = eksapi.associations(run.client("eks"), run.cluster, self.namespace, self.service_account)
        return found[0] if found else None

    def check(self, run: ClusterRun) -> Change:
        found = self._found(run)
        if found is None:
            return Change.create()
        _require_managed(found)
        if found.get("roleArn") != self.role_arn:
            return Change.update(f"role {found.get('roleArn')} -> {self.role_arn}")
        return Change.unchanged(str(found["associationId"]))

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.naming import aws_tags

        eks = run.client("eks")
        if change.action is Action.CREATE:
            try:
                eks.create_pod_identity_association(
                    clusterName=run.cluster, namespace=self.namespace, serviceAccount=self.service_account,
                    roleArn=self.role_arn, tags=aws_tags(run.cluster, run.request.fleet),
                )  # fmt: skip
                return
            except eks.exceptions.ResourceInUseException:
                pass  # made since the plan (a lost answer, another run): adopted below when it is ours
        found = self._found(run)
        if found is None:
            raise AmpctlError(
                f"pod identity association {self.namespace}/{self.service_account} vanished while being set up",
                "re-run ampctl",
            )
        _require_managed(found)
        if found.get("roleArn") != self.role_arn:
            eks.update_pod_identity_association(
                clusterName=run.cluster, associationId=found["associationId"], roleArn=self.role_arn
            )


class DeletePodIdentityAssociation(Step[ClusterRun]):
    """Back under IRSA: an association ampctl made for one of its ServiceAccounts goes."""

    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("pod-identity-associations",)

    def __init__(self, run: ClusterRun, association: dict[str, Any], why: str = "back to IRSA") -> None:
        self.association_id = str(association["associationId"])
        self.what = eksapi.describe_association(association)
        self.why = why
        self.title = f"pod identity association {association['namespace']}/{association['serviceAccount']}"

    def check(self, run: ClusterRun) -> Change:
        if eksapi.describe(run.client("eks"), run.cluster, self.association_id) is None:
            return Change.unchanged("absent")
        return Change.delete(f"{self.what} ({self.why})")

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.aws.errors import done_if_gone

        eks = run.client("eks")
        done_if_gone(eks.delete_pod_identity_association, clusterName=run.cluster, associationId=self.association_id)
