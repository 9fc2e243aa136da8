"""Flux: the chart's source (OCIRepository or HelmRepository) and, per cluster, a HelmRelease whose values come from a
ConfigMap kustomize generates from that cluster's values file, in one kustomize directory per cluster.

Sources: fluxcd/helm-controller v1.6.3 docs/spec/v2/helmreleases.md ("Chart reference" with an OCIRepository,
"Release name", "Target namespace", "Storage namespace", "Values references"; ConfigMaps labelled
`reconcile.fluxcd.io/watch: Enabled` trigger a reconcile when they change) and api/v2/helmrelease_types.go
(`upgrade.chartNameChangeStrategy`, InPlaceUpdate or the default Reinstall, which uninstalls the old release when the
chart's name changes); fluxcd/source-controller v1.9.1 OCIRepository `layerSelector` (the Helm chart layer, copied).
"""

from __future__ import annotations

from typing import Any

from ampctl import naming
from ampctl.gitops.layout import Layout, Member

FLUX_NAMESPACE = "flux-system"
SOURCE_NAME = "kubecost-chart"
VALUES_CONFIGMAP = "kubecost-values"
VALUES_KEY = "values.yaml"
HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"  # Helm's OCI chart layer media type
WATCH_LABEL = ("reconcile.fluxcd.io/watch", "Enabled")


def values_path(cluster: str) -> str:
    return f"clusters/{cluster}/{VALUES_KEY}"


def source(layout: Layout) -> dict[str, Any]:
    metadata = {"name": SOURCE_NAME, "namespace": FLUX_NAMESPACE, "labels": naming.managed_labels()}
    if layout.chart.oci:
        return {
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "OCIRepository",
            "metadata": metadata,
            "spec": {
                "interval": "1h",
                "url": layout.chart.oci_url,
                "ref": {"tag": layout.chart_version},
                "layerSelector": {"mediaType": HELM_CHART_LAYER, "operation": "copy"},
            },
        }
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmRepository",
        "metadata": metadata,
        "spec": {"interval": "1h", "url": layout.chart.repository},
    }


def helm_release(layout: Layout, member: Member) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "interval": "10m",
        "releaseName": layout.release,  # the name ampctl, helm and doctor know the release by
        "targetNamespace": layout.namespace,
        "storageNamespace": layout.namespace,
        "timeout": layout.timeout,
        "install": {"createNamespace": False, "remediation": {"retries": 3}},
        # Kubecost 3 renames the chart (cost-analyzer -> kubecost): upgrade the release in place rather than
        # uninstall it (helm-controller 1.6+).
        "upgrade": {"chartNameChangeStrategy": "InPlaceUpdate", "remediation": {"retries": 3}},
        "valuesFrom": [{"kind": "ConfigMap", "name": VALUES_CONFIGMAP, "valuesKey": VALUES_KEY}],
    }
    if layout.chart.oci:
        spec["chartRef"] = {"kind": "OCIRepository", "name": SOURCE_NAME, "namespace": FLUX_NAMESPACE}
    else:
        spec["chart"] = {
            "spec": {
                "chart": layout.chart.name,
                "version": layout.chart_version,
                "sourceRef": {"kind": "HelmRepository", "name": SOURCE_NAME, "namespace": FLUX_NAMESPACE},
            }
        }
    labels = {**naming.managed_labels(), "ampctl/cluster": member.spec.cluster}
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": layout.release, "namespace": FLUX_NAMESPACE, "labels": labels},
        "spec": spec,
    }


def base_kustomization() -> dict[str, Any]:
    return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": ["source.yaml"]}


def cluster_kustomization() -> dict[str, Any]:
    """The cluster's directory: the shared source, its HelmRelease, and the values ConfigMap from values.yaml."""
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["../../base", "helmrelease.yaml"],
        "configMapGenerator": [
            {
                "name": VALUES_CONFIGMAP,
                "namespace": FLUX_NAMESPACE,
                "files": [VALUES_KEY],
                "options": {"disableNameSuffixHash": True, "labels": dict([WATCH_LABEL, naming.MANAGED_BY_LABEL])},
            }
        ],
    }
