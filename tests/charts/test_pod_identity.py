"""EKS Pod Identity on the real 2.x charts: the sigv4 proxy runs the pinned image (a -f file still overrides it),
its args are those of the IRSA install, the pods run as ampctl's ServiceAccounts, which carry no role annotation;
versions before 2.2.0 are refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from ampctl.chartkeys import SIGV4_PROXY_POD_IDENTITY_IMAGE
from ampctl.errors import AmpctlError
from ampctl.naming import ROLE_ARN_ANNOTATION
from ampctl.render.objects import pod_identity_associations, service_account
from ampctl.render.tree import write_all
from ampctl.render.values import values_files
from ampctl.spec import SA_COST_ANALYZER, SA_PROMETHEUS
from ampctl.versions import check_identity
from tests.charts.conftest import RUNNABLE, Case, Rendered, helm_template, requires_charts
from tests.charts.contract import container, pod_spec

pytestmark = requires_charts
CASES = [c for c in RUNNABLE if c.version.startswith("2.") and c.federated]


def _render(helm: str, case: Case, directory: Path, extra: tuple[Path, ...] = ()) -> tuple[Rendered, list[Path]]:
    spec = dataclasses.replace(case.spec(), identity="pod-identity")
    files = [dataclasses.replace(f, name=f"{i:02d}-{f.name}") for i, f in enumerate(values_files(spec), start=1)]
    paths = write_all(files, directory / case.id)
    proc = helm_template(helm, case.package, [*paths, *extra])
    assert proc.returncode == 0, proc.stderr
    objects = [o for o in yaml.safe_load_all(proc.stdout) if o]
    return Rendered(case, spec, proc.returncode, proc.stderr, objects), paths


def _sidecar(r: Rendered) -> dict:
    found = container(r.find("Deployment", "kubecost-cost-analyzer"), "sigv4proxy")
    assert found is not None
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_pod_identity_values_on_the_real_chart(
    case: Case, helm3: str, tmp_path: Path, rendered: dict[str, Rendered]
) -> None:
    r, _ = _render(helm3, case, tmp_path)
    sidecar = _sidecar(r)
    assert sidecar["image"] == SIGV4_PROXY_POD_IDENTITY_IMAGE
    assert sidecar["args"] == _sidecar(rendered[case.id])["args"]  # the IRSA install's, unchanged
    assert rendered[case.id].find("Deployment", "kubecost-cost-analyzer") is not None
    assert _sidecar(rendered[case.id])["image"].endswith(":latest")  # IRSA keeps the chart's default
    assert pod_spec(r.find("Deployment", "kubecost-cost-analyzer"))["serviceAccountName"] == SA_COST_ANALYZER
    prometheus = r.find("Deployment", "kubecost-prometheus-server")
    if prometheus is not None:
        assert pod_spec(prometheus)["serviceAccountName"] == SA_PROMETHEUS
    for account in r.of_kind("ServiceAccount"):
        assert ROLE_ARN_ANNOTATION not in (account["metadata"].get("annotations") or {})
    for name in (SA_COST_ANALYZER, SA_PROMETHEUS):
        assert "annotations" not in service_account(r.spec, name, "arn:aws:iam::1:role/x")["metadata"]
    triples = pod_identity_associations(r.spec)
    assert [(t["namespace"], t["serviceAccount"]) for t in triples] == [
        ("kubecost", SA_COST_ANALYZER), ("kubecost", SA_PROMETHEUS),
    ]  # fmt: skip


def test_a_values_file_still_overrides_the_pinned_image(helm3: str, tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("sigV4Proxy:\n  image: registry.example/aws-sigv4-proxy:1.12.0\n")
    r, _ = _render(helm3, CASES[-1], tmp_path, (mine,))
    assert _sidecar(r)["image"] == "registry.example/aws-sigv4-proxy:1.12.0"


@pytest.mark.parametrize("version", ["1.108.1", "2.0.2", "2.1.0"])
def test_versions_before_2_2_0_are_refused(version: str) -> None:
    with pytest.raises(AmpctlError, match="does not support EKS Pod Identity"):
        check_identity(version, "pod-identity")
    check_identity(version, "irsa")
    check_identity("2.2.0", "pod-identity")
