"""Steps for Kubernetes objects: namespace, annotated ServiceAccounts and Secrets."""

from __future__ import annotations

from typing import Any

from ampctl.naming import ROLE_ARN_ANNOTATION, is_managed, managed_labels
from ampctl.plan.step import Action, Change, Step
from ampctl.provision.context import ClusterRun


class EnsureNamespace(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("namespace",)

    def __init__(self, run: ClusterRun) -> None:
        self.name = run.request.namespace
        self.title = f"namespace {self.name}"

    def check(self, run: ClusterRun) -> Change:
        return Change.create() if run.kube.read("namespace", None, self.name) is None else Change.unchanged()

    def apply(self, run: ClusterRun, change: Change) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": self.name, "labels": managed_labels()},
        }
        # Already there (an interrupted run, or another one): a namespace is used as it is.
        run.kube.create(f"create namespace {self.name}", run.kube.core.create_namespace, body)


class EnsureServiceAccount(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("namespace",)
    gives: tuple[str, ...] = ("service-accounts",)

    def __init__(self, run: ClusterRun, name: str, component: str) -> None:
        from ampctl.naming import role_arn, role_name

        self.name = name
        self.role_arn = role_arn(run.account, role_name(run.cluster, component), region=run.region)
        # Under EKS Pod Identity no annotation: the SDK would try IRSA first, with a role that no longer trusts it.
        self.annotated = not run.request.pod_identity
        how = "annotated with its IAM role" if self.annotated else "without role annotation (EKS Pod Identity)"
        self.title = f"serviceaccount {run.request.namespace}/{name} {how}"

    def check(self, run: ClusterRun) -> Change:
        current = run.kube.read("service_account", run.request.namespace, self.name)
        if current is None:
            return Change.create()
        annotations = current.get("metadata", {}).get("annotations") or {}
        found = annotations.get(ROLE_ARN_ANNOTATION)
        drift = []
        if self.annotated and found != self.role_arn:
            drift.append(f"annotation {ROLE_ARN_ANNOTATION} is {found or 'missing'}")
        if not self.annotated and found is not None:
            drift.append(f"remove annotation {ROLE_ARN_ANNOTATION} ({found})")
        if not is_managed(current):
            drift.append("adopt (add managed-by label)")
        return Change.update("; ".join(drift)) if drift else Change.unchanged()

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.render.objects import service_account

        body = service_account(run.spec(), self.name, self.role_arn)
        ns = run.request.namespace
        create = run.kube.core.create_namespaced_service_account
        # Already there (created since the plan): reconciled like any existing one below.
        created = change.action is Action.CREATE and run.kube.create(f"create sa {self.name}", create, ns, body)
        if not created:
            annotations = {ROLE_ARN_ANNOTATION: self.role_arn if self.annotated else None}  # None removes it
            patch = {"metadata": {"labels": body["metadata"]["labels"], "annotations": annotations}}
            run.kube.call(
                f"patch serviceaccount {self.name}",
                run.kube.core.patch_namespaced_service_account,
                self.name,
                ns,
                patch,
            )


class EnsureSecret(Step[ClusterRun]):
    """A Secret whose whole content ampctl owns (object-store config, product key)."""

    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("namespace",)
    gives: tuple[str, ...] = ("secrets",)

    def __init__(self, run: ClusterRun, manifest: dict[str, Any], what: str) -> None:
        self.manifest = manifest
        self.name = manifest["metadata"]["name"]
        self.title = f"secret {run.request.namespace}/{self.name} ({what})"

    def check(self, run: ClusterRun) -> Change:
        current = run.kube.read("secret", run.request.namespace, self.name)
        if current is None:
            return Change.create()
        if (current.get("data") or {}) != self.manifest["data"]:
            return Change.update("content differs")
        if not is_managed(current):
            return Change.update("adopt (add managed-by label)")
        return Change.unchanged()

    def apply(self, run: ClusterRun, change: Change) -> None:
        ns = run.request.namespace
        core = run.kube.core
        create = core.create_namespaced_secret
        what = f"create secret {self.name}"
        created = change.action is Action.CREATE and run.kube.create(what, create, ns, self.manifest)
        if not created:
            run.kube.call(f"replace secret {self.name}", core.replace_namespaced_secret, self.name, ns, self.manifest)
