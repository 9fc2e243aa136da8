"""A cluster moved from 2.x on AMP to Kubecost 3.x: once the 3.x release is in, the 2.x ServiceAccounts ampctl made
(cost-analyzer, prometheus-server) and their pod identity associations go, so no pod can use the AMP roles any more.

Only after the install: until then the 2.x pods (and 2.9's finops-agent, which runs as the cost-analyzer's account)
use them, and a 3.x install that fails is rolled back to them. The AMP roles themselves stay until the whole fleet
is on 3.x: `ampctl teardown --retire-amp` removes them with the workspace.
"""

from __future__ import annotations

from ampctl.plan.step import Change, Step
from ampctl.provision.context import ClusterRun

WHY = "Kubecost 3.x uses its own accounts"


class RemoveAmpServiceAccount(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("release",)
    gives: tuple[str, ...] = ("amp-service-accounts",)

    def __init__(self, run: ClusterRun, name: str) -> None:
        self.name = name
        self.title = f"2.x serviceaccount {run.request.namespace}/{name}"

    def check(self, run: ClusterRun) -> Change:
        from ampctl.naming import is_managed

        current = run.kube.read("service_account", run.request.namespace, self.name)
        if current is None:
            return Change.unchanged("absent")
        if not is_managed(current):
            return Change.unchanged("not made by ampctl: kept")
        return Change.delete(f"made by ampctl for 2.x on AMP; {WHY}")

    def apply(self, run: ClusterRun, change: Change) -> None:
        ns = run.request.namespace
        run.kube.delete(f"delete sa {self.name}", run.kube.core.delete_namespaced_service_account, self.name, ns)


def moved_steps(run: ClusterRun) -> list[Step[ClusterRun]]:
    """What a 3.x cluster removes of its 2.x identities: present only where they are, so a fresh 3.x cluster plans
    nothing more (the associations are the ones ampctl made, read once per namespace)."""
    from ampctl.naming import COMPONENTS
    from ampctl.provision.steps_podid import DeletePodIdentityAssociation

    steps: list[Step[ClusterRun]] = [RemoveAmpServiceAccount(run, sa) for sa in COMPONENTS.values()]
    for association in run.leftover_associations():
        step = DeletePodIdentityAssociation(run, association, WHY)
        step.after, step.gives = ("release",), ("amp-associations",)  # after the install, which they then follow
        steps.append(step)
    return steps
