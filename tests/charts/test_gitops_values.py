"""The one values file per cluster that `render --gitops` writes, rendered through the real charts the way Argo CD
renders (`helm template` with the cluster's API versions, so the chart's lookups find nothing): the same objects as
a direct install, so the contract tests in test_contract.py hold for it on every line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from ampctl import chartkeys
from ampctl.gitops import values as gvalues
from ampctl.gitops.layout import Member
from ampctl.render.templating import dump_values
from tests.charts.conftest import RUNNABLE, Case, Rendered, requires_charts

pytestmark = requires_charts
# Argo CD passes the destination's API versions with their kinds (argo-cd util/argo/argo.go APIResourcesToStrings).
ARGOCD_API_VERSIONS = ("v1/Secret", "apps/v1/StatefulSet", "apps/v1/Deployment")


def argocd_template(helm: str, case: Case, directory: Path, switch: bool) -> subprocess.CompletedProcess[str]:
    spec = case.spec()
    values = directory / f"{case.id}.yaml"
    values.write_text(gvalues.text(Member(spec)))
    argv = [helm, "template", "kubecost", str(case.package), "-n", "kubecost", "-f", str(values)]
    inline = chartkeys.line_keys(spec.chart_version).gitops_template_values
    if switch and inline:  # the ApplicationSet's valuesObject, which wins over valueFiles
        (directory / f"{case.id}-inline.yaml").write_text(dump_values(chartkeys.nest(dict(inline))))
        argv += ["-f", str(directory / f"{case.id}-inline.yaml")]
    for api in ARGOCD_API_VERSIONS:
        argv += ["--api-versions", api]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


# A value the chart draws at random on every render (cost-analyzer 1.x templates/diagnostics-deployment.yaml:
# `helm.sh/pod-restarter: {{ randNumeric 3 | quote }}`): left out of the comparison.
RANDOM_KEYS = ("helm.sh/pod-restarter",)


def _stable(node: object) -> object:
    if isinstance(node, dict) and node.get("name") == "HELM_VALUES":
        return "HELM_VALUES"  # 2.x copies every value into this env (base64), the CI switch included
    if isinstance(node, dict):
        return {k: _stable(v) for k, v in node.items() if k not in RANDOM_KEYS}
    if isinstance(node, list):
        return [_stable(v) for v in node]
    return node


def _key(obj: dict) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


@pytest.mark.parametrize("case", RUNNABLE, ids=[c.id for c in RUNNABLE])
def test_gitops_values_render_what_a_direct_install_renders(
    case: Case, rendered: dict[str, Rendered], helm3: str, tmp_path: Path
) -> None:
    proc = argocd_template(helm3, case, tmp_path, switch=True)
    assert proc.returncode == 0, proc.stderr
    objects = {_key(o): o for o in yaml.safe_load_all(proc.stdout) if o}
    direct = {_key(o): o for o in rendered[case.id].objects}
    assert set(objects) == set(direct)
    differing = [k for k in direct if _stable(objects[k]) != _stable(direct[k])]
    assert differing == []


def test_the_ci_switch_is_what_lets_a_federated_2x_render_under_argocd(helm3: str, tmp_path: Path) -> None:
    case = next(c for c in RUNNABLE if c.version == "2.8.7" and c.federated)
    without = argocd_template(helm3, case, tmp_path, switch=False)
    assert without.returncode != 0
    assert "federated storage config secret 'kubecost-object-store' does not exist" in without.stderr
    assert argocd_template(helm3, case, tmp_path, switch=True).returncode == 0


CLUSTER_SCOPED = {
    "ClusterRole", "ClusterRoleBinding", "PriorityClass", "PodSecurityPolicy", "CustomResourceDefinition",
    "StorageClass", "Namespace", "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "PersistentVolume", "SecurityContextConstraints",
}  # fmt: skip


def test_the_appproject_allows_every_cluster_scoped_kind_the_charts_render(rendered: dict[str, Rendered]) -> None:
    from ampctl.gitops.argocd import CLUSTER_KINDS

    allowed = {kind for _, kind in CLUSTER_KINDS}
    found = {o["kind"] for r in rendered.values() for o in r.objects if o["kind"] in CLUSTER_SCOPED}
    assert found and found <= allowed
    namespaces = {o["metadata"].get("namespace") for r in rendered.values() for o in r.objects} - {None}
    assert namespaces <= {"kubecost"}  # the AppProject's one destination namespace
