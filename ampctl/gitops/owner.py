"""Who applied a release's objects: a GitOps engine, from the marks each leaves on the objects it applies.

Sources: Argo CD v3.5.1 common/common.go (`AnnotationKeyAppInstance = "argocd.argoproj.io/tracking-id"`, value
`<app>:<group>/<kind>:<namespace>/<name>`; `LabelKeyAppInstance = "app.kubernetes.io/instance"` under the label
tracking method, util/argo/resource_tracking.go); Flux helm-controller v1.6.3 internal/postrender/build.go and
common_renderer.go (every rendered object gets the labels `helm.toolkit.fluxcd.io/name` and
`helm.toolkit.fluxcd.io/namespace` of its HelmRelease).
"""

from __future__ import annotations

from typing import Any

ARGOCD_TRACKING = "argocd.argoproj.io/tracking-id"
ARGOCD_INSTANCE = "app.kubernetes.io/instance"
FLUX_NAME, FLUX_NAMESPACE = "helm.toolkit.fluxcd.io/name", "helm.toolkit.fluxcd.io/namespace"


def owner(metadata: dict[str, Any], release_name: str) -> str | None:
    """The GitOps engine that applied an object, as a phrase ("Flux HelmRelease flux-system/kubecost"), else None."""
    labels = metadata.get("labels") or {}
    annotations = metadata.get("annotations") or {}
    if FLUX_NAME in labels:
        return f"Flux HelmRelease {labels.get(FLUX_NAMESPACE, '?')}/{labels[FLUX_NAME]}"
    tracking = str(annotations.get(ARGOCD_TRACKING) or "")
    if tracking:
        return f"Argo CD application {tracking.split(':', 1)[0]}"
    instance = labels.get(ARGOCD_INSTANCE)
    if instance and instance != release_name:  # helm itself sets it to the release name
        return f"Argo CD application {instance} (label tracking)"
    return None


def engine(owner_phrase: str) -> str:
    """The engine of an `owner` phrase: "Flux" or "Argo CD"."""
    return "Flux" if owner_phrase.startswith("Flux ") else "Argo CD"


def cost_analyzer_name(release: str) -> str:
    """The cost-analyzer Deployment's name for a release (the chart's fullname, without fullnameOverride)."""
    return release if "cost-analyzer" in release else f"{release}-cost-analyzer"[:63].rstrip("-")
