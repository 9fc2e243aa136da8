"""Teardown of what ampctl made for storage: the aws-ebs-csi-driver add-on, its role and its pod identity
association (tagged managed-by=ampctl), and the Auto Mode StorageClass (labelled). Others are left alone. They go
after the namespace, so the driver is still there to delete the release's volumes (reclaimPolicy Delete)."""

from __future__ import annotations

from ampctl.aws import eks as eksapi
from ampctl.plan.step import Change, Step
from ampctl.storage import classes as sc
from ampctl.teardown.run import TeardownRun
from ampctl.teardown.steps_aws import DeleteClusterRole
from ampctl.teardown.steps_podid import DeletePodIdentityAssociations

NOT_OURS = "not tagged managed-by=ampctl: left alone"


class DeleteEbsCsiAddon(Step[TeardownRun]):
    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("release", "namespace")
    gives: tuple[str, ...] = ("ebs-csi-addon",)

    def __init__(self, run: TeardownRun) -> None:
        self.title = f"EKS add-on {sc.EBS_CSI_ADDON} on cluster {run.cluster}"

    def check(self, run: TeardownRun) -> Change:
        found = eksapi.addon(run.client("eks"), run.cluster, sc.EBS_CSI_ADDON)
        if found is None:
            return Change.unchanged("absent")
        if not eksapi.is_managed(found.get("tags")):
            run.leave(self.title)
            return Change.unchanged(NOT_OURS)
        return Change.delete()

    def apply(self, run: TeardownRun, change: Change) -> None:
        from ampctl.aws.errors import done_if_gone

        done_if_gone(run.client("eks").delete_addon, clusterName=run.cluster, addonName=sc.EBS_CSI_ADDON)


class DeleteEbsCsiRole(DeleteClusterRole):
    after: tuple[str, ...] = ("ebs-csi-addon",)

    def __init__(self, run: TeardownRun) -> None:
        from ampctl.naming import ebs_csi_role_name

        self.name = ebs_csi_role_name(run.cluster)
        self.title = f"IAM role {self.name}"


class DeleteEbsCsiAssociation(DeletePodIdentityAssociations):
    after: tuple[str, ...] = ("ebs-csi-addon",)

    def __init__(self, run: TeardownRun) -> None:
        super().__init__(run, (sc.EBS_CSI_SERVICE_ACCOUNT,), sc.EBS_CSI_NAMESPACE)
        self.title = f"pod identity association of {sc.EBS_CSI_NAMESPACE}/{sc.EBS_CSI_SERVICE_ACCOUNT}"


class DeleteAutoModeClass(Step[TeardownRun]):
    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("release", "namespace")
    gives: tuple[str, ...] = ("storage-class",)

    def __init__(self, run: TeardownRun) -> None:
        self.title = f"StorageClass {sc.AUTO_MODE_CLASS}"

    def check(self, run: TeardownRun) -> Change:
        from ampctl.naming import is_managed
        from ampctl.storage.facts import storage_class

        found = storage_class(run.kube, sc.AUTO_MODE_CLASS)
        if found is None:
            return Change.unchanged("absent")
        if not is_managed(found):
            run.leave(self.title)
            return Change.unchanged("not labelled managed-by=ampctl: left alone")
        return Change.delete()

    def apply(self, run: TeardownRun, change: Change) -> None:
        from kubernetes import client

        api = client.StorageV1Api(run.kube.api)
        run.kube.delete(f"delete storageclass {sc.AUTO_MODE_CLASS}", api.delete_storage_class, sc.AUTO_MODE_CLASS)


def storage_steps(run: TeardownRun) -> list[Step[TeardownRun]]:
    return [DeleteEbsCsiAddon(run), DeleteEbsCsiAssociation(run), DeleteEbsCsiRole(run), DeleteAutoModeClass(run)]
