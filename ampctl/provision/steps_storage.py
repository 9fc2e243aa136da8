"""Storage for Kubecost's volumes: the claims the chosen chart line makes, the class each gets and whether that class
can provision, checked in the plan before any change; on request, the EBS CSI driver add-on with its IAM role, or on
EKS Auto Mode a class of its own provisioner."""

from __future__ import annotations

import contextlib
import json
import threading
from typing import Any

from ampctl.aws import eks as eksapi
from ampctl.errors import AmpctlError
from ampctl.plan.step import Action, Change, Step
from ampctl.provision.context import ClusterRun
from ampctl.provision.steps_podid import EnsurePodIdentityAssociation, addon_change
from ampctl.provision.steps_role import EnsureRole
from ampctl.storage import classes as sc

ADDON_WAIT_SECONDS = 900.0  # the add-on's own creation timeout is about 15 minutes (assumption, as the agent's)
ADDON_POLL_SECONDS = 2.0


class StorageReads:
    """The cluster's storage facts, read once for the storage steps of one run."""

    def __init__(self, run: ClusterRun) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._facts: sc.StorageFacts | None = None

    def facts(self) -> sc.StorageFacts:
        from ampctl.storage.facts import read

        with self._lock:
            if self._facts is None:
                run = self._run
                self._facts = read(run.client("eks"), run.kube, run.cluster, run.described())
            return self._facts

    def installs_driver(self) -> bool:
        """--install-ebs-csi-driver, where no driver runs yet (a self-managed one is used as it is)."""
        facts = self.facts()
        return self._run.request.install_ebs_csi_driver and facts.addon is None and not facts.controller_ready


def _lookup(values: dict[str, Any], dotted: str) -> Any:
    from ampctl.chartkeys import at

    return at(values, dotted)


def _fix(run: ClusterRun, auto_mode: bool) -> str:
    if auto_mode:
        return "re-run with --create-storage-class (StorageClass kubecost-auto-ebs for EKS Auto Mode's block "\
            "storage), or --storage-class NAME of a class that provisions"  # fmt: skip
    return "re-run with --install-ebs-csi-driver (the aws-ebs-csi-driver add-on with its IAM role, and a default "\
        "StorageClass when there is none), or --storage-class NAME of a class that provisions"  # fmt: skip


class CheckStorage(Step[ClusterRun]):
    """Which class each of the release's claims gets, and whether it can provision; refuses the plan when not."""

    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("storage-check",)

    def __init__(self, run: ClusterRun, reads: StorageReads) -> None:
        self.reads = reads
        self.title = "storage for Kubecost's volumes"

    def check(self, run: ClusterRun) -> Change:
        from ampctl.chartkeys import nest
        from ampctl.provision import values as valuesmod
        from ampctl.storage.claims import claims, storage_class_values

        r = run.request
        facts = self.reads.facts()
        if r.create_storage_class and not facts.auto_mode:
            raise AmpctlError(
                f"--create-storage-class makes a class for EKS Auto Mode, and cluster {run.cluster} is not Auto Mode",
                "use --install-ebs-csi-driver, or --storage-class NAME",
            )
        if r.install_ebs_csi_driver and facts.auto_mode:
            raise AmpctlError(
                f"cluster {run.cluster} is EKS Auto Mode: its block storage is built in, without the EBS CSI add-on",
                "use --create-storage-class instead of --install-ebs-csi-driver",
            )
        coming = {sc.AUTO_MODE_CLASS: sc.AUTO_MODE_EBS} if r.create_storage_class else {}
        default = facts.default
        installs = self.reads.installs_driver()
        if installs and default is None:
            coming[sc.ADDON_DEFAULT_CLASS] = sc.EBS_CSI
            default = sc.ADDON_DEFAULT_CLASS
        import dataclasses

        facts = dataclasses.replace(facts, coming=coming, driver_coming=installs, default=default)
        # The classes as helm will see them: --storage-class's file first, then the user's -f and --set (no other
        # file ampctl renders sets a class).
        chosen_class = r.claim_class
        ours = storage_class_values(r.chart_version, r.primary, r.federated, chosen_class) if chosen_class else {}
        values = valuesmod.deep_merge(nest(ours), valuesmod.merged([], r.extra_values, r.set_values))
        by_class: dict[str | None, list[Any]] = {}
        for claim in claims(r.chart_version, r.primary, r.federated):
            chosen = _lookup(values, claim.class_key)
            by_class.setdefault(str(chosen) if chosen else None, []).append(claim)
        parts, details, refused = [], [], []
        for name, found in by_class.items():
            verdict = sc.judge(facts, name)
            shown = name or (f"{default} (the default)" if default else "(none: no default class)")
            count = f"{len(found)} claim{'s' if len(found) > 1 else ''} ({sc.size_gi([c.size for c in found])})"
            parts.append(f"StorageClass {shown} for {count}")
            details.append(verdict.how)
            if not verdict.ok:
                refused.append(f"{count} of StorageClass {shown}: {verdict.how}")
        self.title = ", ".join(parts)
        if refused:
            raise AmpctlError(
                f"Kubecost's volumes cannot be provisioned on cluster {run.cluster}: {'; '.join(refused)}",
                _fix(run, facts.auto_mode),
            )
        return Change.unchanged("; ".join(details))


class EnsureEbsCsiRole(EnsureRole):
    """The EBS CSI driver controller's role, kube-system/ebs-csi-controller-sa, with AmazonEBSCSIDriverPolicy."""

    after: tuple[str, ...] = ("oidc-provider",)
    gives: tuple[str, ...] = ("ebs-csi-role",)
    output = "ebs-csi"

    def __init__(self, run: ClusterRun) -> None:
        from ampctl.naming import EBS_CSI_POLICY, aws_policy_arn, ebs_csi_role_name, role_arn

        self.name = ebs_csi_role_name(run.cluster)
        self.arn = role_arn(run.account, self.name, region=run.region)
        self.policy_arns = {aws_policy_arn(EBS_CSI_POLICY, region=run.region)}
        self.title = f"IAM role {self.name} for serviceaccount {sc.EBS_CSI_NAMESPACE}/{sc.EBS_CSI_SERVICE_ACCOUNT}"

    def trust(self, run: ClusterRun) -> dict[str, object]:
        import dataclasses

        from ampctl.documents import role_trust

        spec = dataclasses.replace(run.spec(), namespace=sc.EBS_CSI_NAMESPACE)
        return role_trust(spec, sc.EBS_CSI_SERVICE_ACCOUNT)

    def description(self, run: ClusterRun) -> str:
        via = "EKS Pod Identity" if run.request.pod_identity else "IRSA"
        return f"Amazon EBS CSI driver on {run.cluster} via {via} (ampctl)"


class EnsureEbsCsiAssociation(EnsurePodIdentityAssociation):
    """Under EKS Pod Identity: the driver controller's ServiceAccount gets its role by an association."""

    after: tuple[str, ...] = ("ebs-csi-role", "pod-identity-agent")
    gives: tuple[str, ...] = ("ebs-csi-association",)

    def __init__(self, run: ClusterRun) -> None:
        from ampctl.naming import ebs_csi_role_name, role_arn

        self.namespace = sc.EBS_CSI_NAMESPACE
        self.service_account = sc.EBS_CSI_SERVICE_ACCOUNT
        role = ebs_csi_role_name(run.cluster)
        self.role_arn = role_arn(run.account, role, region=run.region)
        self.title = f"pod identity association {self.namespace}/{self.service_account} -> IAM role {role}"


class EnsureEbsCsiAddon(Step[ClusterRun]):
    """The aws-ebs-csi-driver add-on (EKS API Reference, CreateAddon: serviceAccountRoleArn for IRSA, tags,
    configurationValues), tagged managed-by=ampctl, waited for until ACTIVE."""

    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("ebs-csi-role", "ebs-csi-association")
    gives: tuple[str, ...] = ("storage",)

    def __init__(self, run: ClusterRun, reads: StorageReads) -> None:
        self.reads = reads
        self.title = f"EKS add-on {sc.EBS_CSI_ADDON} on cluster {run.cluster}"

    def _default_class(self) -> bool:
        return self.reads.facts().default is None

    def check(self, run: ClusterRun) -> Change:
        found = self.reads.facts().addon
        if found is None:
            extra = f", with its default StorageClass {sc.ADDON_DEFAULT_CLASS}" if self._default_class() else ""
            return Change.create(f"and wait until ACTIVE{extra}")
        return addon_change(run.cluster, sc.EBS_CSI_ADDON, found)

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.naming import aws_tags, ebs_csi_role_name, role_arn

        eks = run.client("eks")
        if change.action is Action.CREATE:
            kwargs: dict[str, Any] = {"tags": aws_tags(run.cluster, run.request.fleet)}
            if not run.request.pod_identity:
                kwargs["serviceAccountRoleArn"] = role_arn(run.account, ebs_csi_role_name(run.cluster))
            if self._default_class():
                # defaultStorageClass.enabled makes ebs-csi-default-sc, marked default: the driver chart's
                # values.yaml and templates/ebs-csi-default-sc.yaml (kubernetes-sigs/aws-ebs-csi-driver, chart for
                # driver v1.31+). Assumption: the add-on's configuration schema takes the chart's key (check with
                # `aws eks describe-addon-configuration --addon-name aws-ebs-csi-driver`).
                kwargs["configurationValues"] = json.dumps({"defaultStorageClass": {"enabled": True}})
            with contextlib.suppress(eks.exceptions.ResourceInUseException):  # made since the plan: waited for
                eks.create_addon(clusterName=run.cluster, addonName=sc.EBS_CSI_ADDON, **kwargs)
        eksapi.wait_active(
            eks, run.cluster, sc.EBS_CSI_ADDON, seconds=ADDON_WAIT_SECONDS, poll=ADDON_POLL_SECONDS,
            sleep=run.sleep, progress=run.progress,
        )  # fmt: skip


class EnsureAutoModeClass(Step[ClusterRun]):
    """StorageClass kubecost-auto-ebs of EKS Auto Mode's provisioner, labelled managed-by=ampctl."""

    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("storage",)

    def __init__(self, run: ClusterRun) -> None:
        self.title = f"StorageClass {sc.AUTO_MODE_CLASS} ({sc.AUTO_MODE_EBS}, EKS Auto Mode)"

    def check(self, run: ClusterRun) -> Change:
        from ampctl.storage.facts import storage_class

        found = storage_class(run.kube, sc.AUTO_MODE_CLASS)
        if found is None:
            return Change.create()
        if found.get("provisioner") != sc.AUTO_MODE_EBS:
            raise AmpctlError(
                f"StorageClass {sc.AUTO_MODE_CLASS} exists with provisioner {found.get('provisioner')}",
                f"delete it, or pass --storage-class NAME of a class with provisioner {sc.AUTO_MODE_EBS}",
            )
        return Change.unchanged()

    def apply(self, run: ClusterRun, change: Change) -> None:
        from kubernetes import client

        api = client.StorageV1Api(run.kube.api)
        run.kube.create(f"create storageclass {sc.AUTO_MODE_CLASS}", api.create_storage_class, sc.auto_mode_class())


def storage_steps(run: ClusterRun) -> list[Step[ClusterRun]]:
    """The check first; then what the request asks ampctl to make, where it is missing."""
    reads = StorageReads(run)
    steps: list[Step[ClusterRun]] = [CheckStorage(run, reads)]
    r, facts = run.request, reads.facts()
    ours = facts.addon is None or eksapi.is_managed(facts.addon.get("tags"))  # another's add-on is used as it is
    if r.install_ebs_csi_driver and not facts.auto_mode and not facts.controller_ready and ours:
        steps.append(EnsureEbsCsiRole(run))
        if r.pod_identity:
            steps.append(EnsureEbsCsiAssociation(run))
        steps.append(EnsureEbsCsiAddon(run, reads))
    if r.create_storage_class and facts.auto_mode:
        steps.append(EnsureAutoModeClass(run))
    return steps
