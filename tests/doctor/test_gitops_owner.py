"""Who owns a release, from the marks each GitOps engine leaves on the objects it applies, and the fleet's shape
recording that the fleet is GitOps-managed."""

from __future__ import annotations

from ampctl.fleetshape import RELEASES_TAG, FleetShape, from_tags
from ampctl.gitops.owner import owner


def test_flux_labels_name_the_helmrelease() -> None:
    labels = {"helm.toolkit.fluxcd.io/name": "kubecost", "helm.toolkit.fluxcd.io/namespace": "flux-system"}
    assert owner({"labels": labels}, "kubecost") == "Flux HelmRelease flux-system/kubecost"


def test_argocd_tracking_annotation_names_the_application() -> None:
    tracking = "kubecost-east:apps/Deployment:kubecost/kubecost-cost-analyzer"
    metadata = {"annotations": {"argocd.argoproj.io/tracking-id": tracking}, "labels": {}}
    assert owner(metadata, "kubecost") == "Argo CD application kubecost-east"


def test_instance_label_is_argocd_only_when_it_is_not_the_release_name() -> None:
    assert owner({"labels": {"app.kubernetes.io/instance": "kubecost"}}, "kubecost") is None  # helm's own
    found = owner({"labels": {"app.kubernetes.io/instance": "kubecost-east"}}, "kubecost")
    assert found == "Argo CD application kubecost-east (label tracking)"
    assert owner({}, "kubecost") is None


def test_the_shape_records_a_gitops_fleet() -> None:
    shape = FleetShape("federated", "2.8.7", bucket="b", primary="p", gitops=True)
    assert shape.tags()[RELEASES_TAG] == "gitops"
    back = from_tags(shape.tags())
    assert back is not None and back.gitops and "GitOps-managed" in back.describe()
    plain = {k: v for k, v in shape.tags().items() if k != RELEASES_TAG}
    assert from_tags(plain) is not None and not from_tags(plain).gitops  # recorded before the tag existed
