"""Every file `ampctl render --gitops` writes: per-cluster values, the engine's manifests, and a README.

No Secret is written here: the directory is meant to be committed. The object-store and product-key Secrets are
created on each cluster by `ampctl bootstrap`/`add-cluster --no-helm` (README.md in the output says so, and how to
use SealedSecrets or External Secrets instead).
"""

from __future__ import annotations

from ampctl.gitops import argocd, flux
from ampctl.gitops import values as gvalues
from ampctl.gitops.layout import FLEET_LABEL, Layout
from ampctl.render.templating import SCRIPT_MODE, RenderedFile, dump, render


def gitops_tree(layout: Layout) -> list[RenderedFile]:
    files: list[RenderedFile] = []
    if layout.engine == "argocd":
        for m in layout.members:
            files.append(RenderedFile(argocd.values_path(layout, m.spec.cluster), gvalues.text(m)))
        files.append(RenderedFile("argocd/applicationset.yaml", dump(argocd.application_set(layout))))
        files.append(RenderedFile("argocd/appproject.yaml", dump(argocd.app_project(layout))))
        files.append(RenderedFile("argocd/add-clusters.sh", argocd.cluster_commands(layout), SCRIPT_MODE))
    else:
        files.append(RenderedFile("base/source.yaml", dump(flux.source(layout))))
        files.append(RenderedFile("base/kustomization.yaml", dump(flux.base_kustomization())))
        for m in layout.members:
            cluster = f"clusters/{m.spec.cluster}"
            files.append(RenderedFile(flux.values_path(m.spec.cluster), gvalues.text(m)))
            files.append(RenderedFile(f"{cluster}/helmrelease.yaml", dump(flux.helm_release(layout, m))))
            files.append(RenderedFile(f"{cluster}/kustomization.yaml", dump(flux.cluster_kustomization())))
    files.append(RenderedFile("README.md", readme(layout)))
    return files


def readme(layout: Layout) -> str:
    from ampctl.chartkeys import line_keys

    primary = next((m.spec for m in layout.members if m.spec.primary), None)
    federated = any(m.spec.federated for m in layout.members)
    return render(
        "gitops-readme.md.j2",
        layout=layout,
        primary=primary,
        federated=federated,
        product_key=any(m.spec.product_key_secret for m in layout.members),
        fleet_label=FLEET_LABEL,
        project=argocd.project_name(layout),
        flux_namespace=flux.FLUX_NAMESPACE,
        count=len(layout.members),
        # The line's switch for engines that render without the cluster (ampctl.lines: LineKeys.gitops_template_values).
        sanity_switch=bool(line_keys(layout.chart_version).gitops_template_values),
    )
