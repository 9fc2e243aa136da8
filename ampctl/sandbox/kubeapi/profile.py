"""How one emulated cluster behaves: as the sandbox always did (every claim binds, every pod starts at once), or as
EKS creates clusters today (no default StorageClass, claims bound only by a provisioner that runs, pods scheduled
against the node's capacity and started after a while)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# The provisioner names a StorageClass can carry on EKS:
# - EBS_CSI: the Amazon EBS CSI driver (the `aws-ebs-csi-driver` add-on; EKS User Guide, "Amazon EBS CSI driver").
# - IN_TREE_EBS: the in-tree plugin of the `gp2` class EKS creates. Kubernetes moved it to the CSI driver (CSI
#   migration for AWS EBS, GA in 1.25; the in-tree code was removed in 1.27: kubernetes/kubernetes CHANGELOG-1.27,
#   "Removed the in-tree AWS EBS volume plugin"), so `gp2` provisions only where the EBS CSI driver runs.
# - AUTO_MODE_EBS: EKS Auto Mode's built-in block storage (EKS User Guide, "Create a storage class": "EKS Auto Mode
#   does not create a StorageClass for you. You must create a StorageClass referencing ebs.csi.eks.amazonaws.com").
EBS_CSI = "ebs.csi.aws.com"
IN_TREE_EBS = "kubernetes.io/aws-ebs"
AUTO_MODE_EBS = "ebs.csi.eks.amazonaws.com"
# The in-tree name served through CSI migration by the driver it migrated to.
MIGRATED = {IN_TREE_EBS: EBS_CSI}

# Which provisioners run on a cluster right now (the EBS CSI add-on is installed and ACTIVE later).
Provisioners = Callable[[], frozenset[str]]


def _none() -> frozenset[str]:
    return frozenset()


@dataclass(frozen=True)
class ClusterProfile:
    """`modern`: a cluster as EKS creates it on Kubernetes 1.30 and later. The others refine it."""

    modern: bool = False
    auto_mode: bool = False  # Auto Mode's provisioner runs; implies modern
    small_nodes: bool = False  # one t3.nano-sized node instead of an m5.xlarge; implies modern
    pod_start_seconds: float = 0.0  # image pull plus readiness: a pod is Running this long after it is scheduled

    @property
    def realistic(self) -> bool:
        return self.modern or self.auto_mode or self.small_nodes

    @property
    def needs_ticks(self) -> bool:
        """Whether something changes with time alone (a provisioner appearing, a pod finishing its start)."""
        return self.realistic or self.pod_start_seconds > 0


LEGACY = ClusterProfile()


def running_provisioners(profile: ClusterProfile, extra: Provisioners = _none) -> frozenset[str]:
    names = set(extra())
    if profile.auto_mode:
        names.add(AUTO_MODE_EBS)
    if EBS_CSI in names:
        names.add(IN_TREE_EBS)
    return frozenset(names)
