"""Teardown steps inside the cluster: the Helm release, Secrets, ServiceAccounts and the namespace."""

from __future__ import annotations

from ampctl import output
from ampctl.naming import is_managed
from ampctl.plan.step import Change, Step
from ampctl.teardown.run import TeardownRun

NOT_OURS = "not labelled managed-by=ampctl: left alone"


class UninstallKubecost(Step[TeardownRun]):
    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("release",)

    def __init__(self, run: TeardownRun) -> None:
        self.title = f"helm release {run.namespace}/{run.release}"

    def check(self, run: TeardownRun) -> Change:
        from ampctl.lines.v3 import SA_AGGREGATOR
        from ampctl.spec import SA_COST_ANALYZER

        release = run.read_release(run.release, run.namespace)
        if release is None:
            return Change.unchanged("not installed")
        # 3.x: ampctl names the aggregator's account there (ampctl.lines.v3), on the primary and the agents.
        if (release.values.get("serviceAccount") or {}).get("name") not in (SA_COST_ANALYZER, SA_AGGREGATOR):
            run.leave(self.title)
            return Change.unchanged("not installed by ampctl (no ampctl ServiceAccount in its values): left alone")
        return Change.delete(f"revision {release.revision}, chart {release.chart_version}")

    def apply(self, run: TeardownRun, change: Change) -> None:
        from ampctl.helm import uninstall

        # A release already gone (an earlier, interrupted teardown) counts as done.
        if run.read_release(run.release, run.namespace) is not None:
            uninstall(run.helm, run.release, run.namespace)


class DeleteObject(Step[TeardownRun]):
    """A namespaced Secret or ServiceAccount, only when it carries ampctl's label."""

    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("release",)
    gives: tuple[str, ...] = ("objects",)

    def __init__(self, run: TeardownRun, kind: str, name: str) -> None:
        self.kind, self.name = kind, name
        self.title = f"{kind.replace('_', '')} {run.namespace}/{name}"

    def check(self, run: TeardownRun) -> Change:
        obj = run.kube.read(self.kind, run.namespace, self.name)
        if obj is None:
            return Change.unchanged("absent")
        if not is_managed(obj):
            run.leave(self.title)
            return Change.unchanged(NOT_OURS)
        return Change.delete()

    def apply(self, run: TeardownRun, change: Change) -> None:
        delete = getattr(run.kube.core, f"delete_namespaced_{self.kind}")
        run.kube.delete(f"delete {self.title}", delete, self.name, run.namespace)


# What an empty namespace still holds on its own.
_BUILT_IN = {"service_account": {"default"}, "config_map": {"kube-root-ca.crt"}}
_KINDS = ("pod", "service_account", "secret", "config_map", "service", "persistent_volume_claim")


def leftovers(run: TeardownRun) -> list[str]:
    """What the namespace still holds that is neither built in nor the uninstalled release's.

    helm uninstall leaves the claims of the release's StatefulSets (the 2.x aggregator's); they
    carry the release's instance label and go with the namespace."""
    found = []
    for kind in _KINDS:
        for obj in run.kube.list(kind, run.namespace):
            meta = obj.get("metadata") or {}
            name = str(meta.get("name"))
            if name in _BUILT_IN.get(kind, set()) or obj.get("type") == "kubernetes.io/service-account-token":
                continue
            release = (meta.get("labels") or {}).get("app.kubernetes.io/instance")
            if kind == "persistent_volume_claim" and release == run.release:
                continue
            found.append(f"{kind.replace('_', '')}/{name}")
    return found


class DeleteNamespace(Step[TeardownRun]):
    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("release", "objects")
    gives: tuple[str, ...] = ("namespace",)

    def __init__(self, run: TeardownRun) -> None:
        self.title = f"namespace {run.namespace}"

    def check(self, run: TeardownRun) -> Change:
        obj = run.kube.read("namespace", None, run.namespace)
        if obj is None:
            return Change.unchanged("absent")
        if not is_managed(obj):
            return Change.unchanged("not created by ampctl: kept")
        return Change.delete("if empty once the rest is gone")

    def apply(self, run: TeardownRun, change: Change) -> None:
        rest = leftovers(run)
        if rest:
            shown = ", ".join(rest[:5]) + (f" and {len(rest) - 5} more" if len(rest) > 5 else "")
            output.warn(f"{run.cluster}: namespace {run.namespace} still holds {shown}: kept")
            return
        run.kube.delete(f"delete namespace {run.namespace}", run.kube.core.delete_namespace, run.namespace)
