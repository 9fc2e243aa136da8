"""The resource table: every kind the emulator serves, used by the store, routing and discovery."""

from __future__ import annotations

from dataclasses import dataclass

STANDARD_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NAMESPACE_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")
SUBRESOURCE_VERBS = {
    "status": ("get", "patch", "update"),
    "scale": ("get", "patch", "update"),
    "log": ("get",),
    "proxy": ("create", "delete", "get", "patch", "update"),
    "finalize": ("update",),
}
SUBRESOURCE_KIND = {"log": ("", "v1", "Pod"), "scale": ("autoscaling", "v1", "Scale")}


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = STANDARD_VERBS

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    def qualified(self) -> str:
        """The `plural.group` form used in error messages (`deployments.apps`)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _core(
    plural: str,
    kind: str,
    *,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
    cat: tuple[str, ...] = (),
) -> ResourceType:
    verbs = NAMESPACE_VERBS if plural == "namespaces" else STANDARD_VERBS
    return ResourceType("", "v1", plural, kind, namespaced, short, sub, cat, verbs)


def _grp(
    group: str,
    version: str,
    plural: str,
    kind: str,
    *,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
    cat: tuple[str, ...] = (),
) -> ResourceType:
    return ResourceType(group, version, plural, kind, namespaced, short, sub, cat)


ALL = ("all",)
RESOURCES: tuple[ResourceType, ...] = (
    _core("namespaces", "Namespace", namespaced=False, short=("ns",), sub=("status", "finalize")),
    _core("nodes", "Node", namespaced=False, short=("no",), sub=("status",)),
    _core("persistentvolumes", "PersistentVolume", namespaced=False, short=("pv",), sub=("status",)),
    _core("secrets", "Secret"),
    _core("serviceaccounts", "ServiceAccount", short=("sa",)),
    _core("configmaps", "ConfigMap", short=("cm",)),
    _core("services", "Service", short=("svc",), sub=("status", "proxy"), cat=ALL),
    _core("pods", "Pod", short=("po",), sub=("status", "log"), cat=ALL),
    _core("persistentvolumeclaims", "PersistentVolumeClaim", short=("pvc",), sub=("status",)),
    _core("endpoints", "Endpoints", short=("ep",)),
    _core("events", "Event", short=("ev",)),
    _core("resourcequotas", "ResourceQuota", short=("quota",), sub=("status",)),
    _core("limitranges", "LimitRange", short=("limits",)),
    _core("replicationcontrollers", "ReplicationController", short=("rc",), sub=("status", "scale"), cat=ALL),
    _grp("apps", "v1", "deployments", "Deployment", short=("deploy",), sub=("status", "scale"), cat=ALL),
    _grp("apps", "v1", "statefulsets", "StatefulSet", short=("sts",), sub=("status", "scale"), cat=ALL),
    _grp("apps", "v1", "daemonsets", "DaemonSet", short=("ds",), sub=("status",), cat=ALL),
    _grp("apps", "v1", "replicasets", "ReplicaSet", short=("rs",), sub=("status", "scale"), cat=ALL),
    _grp("apps", "v1", "controllerrevisions", "ControllerRevision"),
    _grp("batch", "v1", "jobs", "Job", sub=("status",), cat=ALL),
    _grp("batch", "v1", "cronjobs", "CronJob", short=("cj",), sub=("status",), cat=ALL),
    _grp(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        short=("hpa",),
        sub=("status",),
        cat=ALL,
    ),
    _grp("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    _grp("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    _grp("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False),
    _grp("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced=False),
    _grp("networking.k8s.io", "v1", "ingresses", "Ingress", short=("ing",), sub=("status",)),
    _grp("networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced=False),
    _grp("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", short=("netpol",)),
    _grp("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", short=("pdb",), sub=("status",)),
    _grp("storage.k8s.io", "v1", "storageclasses", "StorageClass", namespaced=False, short=("sc",)),
    _grp("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", namespaced=False, short=("pc",)),
    _grp("coordination.k8s.io", "v1", "leases", "Lease"),
    ResourceType(
        "authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False, verbs=("create",)
    ),
    ResourceType("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", False, verbs=("create",)),
    _grp(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        short=("crd", "crds"),
        sub=("status",),
    ),
)

_BY_PLURAL: dict[tuple[str, str], ResourceType] = {(r.group_version, r.plural): r for r in RESOURCES}
_BY_KIND: dict[tuple[str, str], ResourceType] = {(r.group_version, r.kind): r for r in RESOURCES}


# Kinds that are answered, never stored (the sandbox allows every request).
REVIEWS = {"SelfSubjectAccessReview", "SubjectAccessReview"}


def lookup(group_version: str, plural: str) -> ResourceType | None:
    return _BY_PLURAL.get((group_version, plural))


def by_kind(group_version: str, kind: str) -> ResourceType | None:
    return _BY_KIND.get((group_version, kind))


def group_versions() -> list[str]:
    """Every group/version served, core first, in table order."""
    seen: dict[str, None] = {}
    for r in RESOURCES:
        seen.setdefault(r.group_version, None)
    return list(seen)


def in_group_version(group_version: str) -> list[ResourceType]:
    return [r for r in RESOURCES if r.group_version == group_version]


def groups() -> list[str]:
    """Named API groups (the core group has no name and is served under /api)."""
    seen: dict[str, None] = {}
    for r in RESOURCES:
        if r.group:
            seen.setdefault(r.group, None)
    return list(seen)


def versions_of(group: str) -> list[str]:
    return list(dict.fromkeys(r.version for r in RESOURCES if r.group == group))
