"""Argo CD: one ApplicationSet for the fleet, its AppProject, and the labels the fleet's cluster Secrets need.

Sources (argoproj/argo-cd at v3.5.1): the cluster generator and its parameters `name`, `nameNormalized`, `server`
and `metadata.labels` (docs/operator-manual/applicationset/Generators-Cluster.md, "Label selector"); multiple sources
with `ref: values` and `$values/<path>` value files, the path relative to the repository's root
(docs/user-guide/multiple_sources.md); an OCI Helm chart named by `repoURL` without `oci://` plus `chart`
(docs/user-guide/helm.md); value precedence `parameters > valuesObject > values > valueFiles`; AppProject
`sourceRepos`, `destinations`, `clusterResourceWhitelist` (docs/operator-manual/declarative-setup.md, "Projects").
"""

from __future__ import annotations

import posixpath
from typing import Any

from ampctl import chartkeys, naming
from ampctl.gitops.layout import FLEET_LABEL, Layout

ARGOCD_NAMESPACE = "argocd"
# Cluster-scoped kinds the cost-analyzer charts render (every supported line, checked by the real-chart tests).
CLUSTER_KINDS = (("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"))


def project_name(layout: Layout) -> str:
    return f"kubecost-{layout.fleet}"


def values_path(layout: Layout, cluster: str) -> str:
    """The values file of one cluster, inside the output directory."""
    return f"values/{cluster}.yaml"


def _source_repo(layout: Layout) -> str:
    return layout.chart.repository


def application_set(layout: Layout) -> dict[str, Any]:
    values_file = posixpath.join("$values", layout.git_path.strip("/"), values_path(layout, "{{.name}}"))
    helm: dict[str, Any] = {"releaseName": layout.release, "valueFiles": [values_file]}
    switch = chartkeys.line_keys(layout.chart_version).gitops_template_values
    if switch:  # the same on every cluster of the line: not per-cluster data
        helm["valuesObject"] = chartkeys.nest(dict(switch))
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": f"kubecost-{layout.fleet}", "namespace": ARGOCD_NAMESPACE,
                     "labels": naming.managed_labels()},
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"clusters": {"selector": {"matchLabels": {FLEET_LABEL: layout.fleet}}}}],
            "template": {
                "metadata": {"name": "kubecost-{{.nameNormalized}}"},
                "spec": {
                    "project": project_name(layout),
                    "sources": [
                        {"repoURL": _source_repo(layout), "chart": layout.chart.name,
                         "targetRevision": layout.chart_version, "helm": helm},
                        {"repoURL": layout.git_repo, "targetRevision": layout.git_revision, "ref": "values"},
                    ],
                    "destination": {"server": "{{.server}}", "namespace": layout.namespace},
                    # ampctl creates the namespace, ServiceAccounts and Secrets (`--no-helm`) before the first sync.
                    "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
                },
            },
        },
    }  # fmt: skip


def app_project(layout: Layout) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": project_name(layout), "namespace": ARGOCD_NAMESPACE, "labels": naming.managed_labels()},
        "spec": {
            "description": f"Kubecost on the clusters of fleet {layout.fleet} (ampctl)",
            "sourceRepos": [_source_repo(layout), layout.git_repo],
            "destinations": [{"server": "*", "namespace": layout.namespace}],
            "clusterResourceWhitelist": [{"group": g, "kind": k} for g, k in CLUSTER_KINDS],
            "namespaceResourceWhitelist": [{"group": "*", "kind": "*"}],
        },
    }


def cluster_commands(layout: Layout) -> str:
    """`argocd cluster add` for each member: the name the values file is found by, and the fleet label."""
    lines = [
        "#!/bin/sh",
        f"# Register the clusters of fleet {layout.fleet} with Argo CD (or label the cluster Secrets you have):",
        f"# the ApplicationSet selects cluster Secrets labelled {FLEET_LABEL}={layout.fleet}, and each cluster's",
        "# name in Argo CD must be its EKS cluster name (it picks values/<name>.yaml).",
        "set -eu",
    ]
    for m in layout.members:
        context = m.context or m.spec.cluster
        lines.append(
            f"argocd cluster add {context} --name {m.spec.cluster} --label {FLEET_LABEL}={layout.fleet} --upsert --yes"
        )
    return "\n".join(lines) + "\n"
