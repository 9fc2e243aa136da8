"""Every Argo CD and Flux manifest `render --gitops` writes validates against the engines' real CRD schemas
(../shared/gitops-crds: Argo CD 3.5.1, helm-controller 1.6.3, source-controller 1.9.1), Flux's per-cluster
directories build with kustomize, and the layout carries what the engines need."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from ampctl.gitops.tree import gitops_tree
from ampctl.render.tree import write_all
from tests.gitops.layouts import CHARTS, LINES, layout

CRDS = Path(__file__).resolve().parents[2].parent / "shared" / "gitops-crds"
CRD_FILES = {
    ("argoproj.io", "ApplicationSet"): "argocd-v3.5.1-applicationset-crd.yaml",
    ("helm.toolkit.fluxcd.io", "HelmRelease"): "flux-helm-controller-v1.6.3-helmreleases-crd.yaml",
    ("source.toolkit.fluxcd.io", "HelmRepository"): "flux-source-controller-v1.9.1-helmrepositories-crd.yaml",
    ("source.toolkit.fluxcd.io", "OCIRepository"): "flux-source-controller-v1.9.1-ocirepositories-crd.yaml",
}
pytestmark = pytest.mark.skipif(not CRDS.is_dir(), reason=f"{CRDS} is absent")
CASES = [(e, v, c) for e in ("argocd", "flux") for v in LINES for c in CHARTS]


@cache
def schema(group: str, kind: str, version: str) -> dict[str, Any]:
    crd = yaml.safe_load((CRDS / CRD_FILES[group, kind]).read_text())
    assert crd["spec"]["group"] == group and crd["spec"]["names"]["kind"] == kind
    served = {v["name"]: v for v in crd["spec"]["versions"] if v.get("served")}
    assert version in served, f"{group}/{version} {kind} is not served by {CRD_FILES[group, kind]}"
    return dict(served[version]["schema"]["openAPIV3Schema"])


def validate(obj: dict[str, Any]) -> None:
    import jsonschema

    group, _, version = obj["apiVersion"].rpartition("/")
    jsonschema.Draft7Validator(schema(group, obj["kind"], version)).validate(obj)


def manifests(directory: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(directory.rglob("*.yaml")):
        if path.name in ("kustomization.yaml", "values.yaml") or path.parent.name == "values":
            continue
        found += [o for o in yaml.safe_load_all(path.read_text()) if o]
    return found


@pytest.mark.parametrize(("engine", "version", "chart"), CASES, ids=["-".join(c) for c in CASES])
def test_every_manifest_validates_against_the_crds(tmp_path: Path, engine: str, version: str, chart: str) -> None:
    write_all(gitops_tree(layout(engine, version, LINES[version], chart)), tmp_path)
    objects = manifests(tmp_path)
    kinds = {o["kind"] for o in objects}
    expected = (
        {"ApplicationSet", "AppProject"}
        if engine == "argocd"
        else {"HelmRelease", "OCIRepository" if chart == "oci" else "HelmRepository"}
    )
    assert expected <= kinds
    for obj in objects:
        if obj["kind"] == "AppProject":  # no AppProject CRD among the shared ones: its fields are checked below
            continue
        validate(obj)


def test_a_schema_violation_is_caught() -> None:
    """The validator is not vacuous: a misspelt enum in a HelmRelease fails."""
    import jsonschema

    release = next(o for o in _flux_objects() if o["kind"] == "HelmRelease")
    release["spec"]["upgrade"]["chartNameChangeStrategy"] = "InPlace"
    with pytest.raises(jsonschema.ValidationError):
        validate(release)


def _flux_objects() -> list[dict[str, Any]]:
    files = gitops_tree(layout("flux", "2.8.7", False))
    return [o for f in files if f.name.endswith("helmrelease.yaml") for o in yaml.safe_load_all(f.content)]


def test_flux_cluster_directories_build_with_kustomize(tmp_path: Path, kubectl: str) -> None:
    lay = layout("flux", "2.9.7", True)
    write_all(gitops_tree(lay), tmp_path)
    for member in lay.members:
        built = subprocess.run(
            [kubectl, "kustomize", str(tmp_path / "clusters" / member.spec.cluster)],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout  # fmt: skip
        objects = {o["kind"]: o for o in yaml.safe_load_all(built) if o}
        assert set(objects) == {"ConfigMap", "HelmRelease", "OCIRepository"}
        validate(objects["HelmRelease"])
        validate(objects["OCIRepository"])
        config = objects["ConfigMap"]
        release = objects["HelmRelease"]["spec"]
        assert release["valuesFrom"] == [
            {"kind": "ConfigMap", "name": config["metadata"]["name"], "valuesKey": "values.yaml"}
        ]
        assert config["metadata"]["namespace"] == objects["HelmRelease"]["metadata"]["namespace"]
        assert config["metadata"]["labels"]["reconcile.fluxcd.io/watch"] == "Enabled"
        values = yaml.safe_load(config["data"]["values.yaml"])
        assert values["global"]["clusterId"] == member.spec.cluster
        assert release["upgrade"]["chartNameChangeStrategy"] == "InPlaceUpdate"
        assert (release["releaseName"], release["targetNamespace"]) == ("kubecost", "kubecost")


def test_argocd_applicationset_takes_per_cluster_data_from_values_files_only() -> None:
    lay = layout("argocd", "2.8.7", True)
    files = {f.name: f.content for f in gitops_tree(lay)}
    appset = yaml.safe_load(files["argocd/applicationset.yaml"])
    assert appset["spec"]["generators"] == [{"clusters": {"selector": {"matchLabels": {"ampctl/fleet": "prod"}}}}]
    chart, values = appset["spec"]["template"]["spec"]["sources"]
    assert values == {"repoURL": lay.git_repo, "targetRevision": "main", "ref": "values"}
    assert (chart["repoURL"], chart["chart"], chart["targetRevision"]) == (
        "public.ecr.aws/kubecost",
        "cost-analyzer",
        "2.8.7",
    )
    assert chart["helm"]["valueFiles"] == ["$values/gitops/kubecost/values/{{.name}}.yaml"]
    # The only inline values are the line's CI switch, the same on every cluster.
    assert chart["helm"]["valuesObject"] == {
        "global": {"platforms": {"cicd": {"enabled": True, "skipSanityChecks": True}}}
    }
    text = files["argocd/applicationset.yaml"]
    assert set(__import__("re").findall(r"\{\{[^}]*\}\}", text)) == {"{{.name}}", "{{.nameNormalized}}", "{{.server}}"}
    for member in lay.members:
        assert f"values/{member.spec.cluster}.yaml" in files
        assert f"--name {member.spec.cluster} --label ampctl/fleet=prod" in files["argocd/add-clusters.sh"]
    project = yaml.safe_load(files["argocd/appproject.yaml"])
    assert appset["spec"]["template"]["spec"]["project"] == project["metadata"]["name"]
    assert set(project["spec"]["sourceRepos"]) == {"public.ecr.aws/kubecost", lay.git_repo}


def test_one_x_has_no_ci_switch() -> None:
    files = {f.name: f.content for f in gitops_tree(layout("argocd", "1.108.1", False))}
    assert "valuesObject" not in files["argocd/applicationset.yaml"]


def test_no_secret_is_written_into_the_tree() -> None:
    for engine in ("argocd", "flux"):
        for f in gitops_tree(layout(engine, "2.8.7", True)):
            assert "kind: Secret" not in f.content, f.name
            assert "federated-store.yaml:" not in f.content
