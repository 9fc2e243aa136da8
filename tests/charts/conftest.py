"""The real Kubecost charts in <repo root>/../shared/charts, rendered once per session with ampctl's values
through the real helm binary (helm template, values files in order), in parallel."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from ampctl.errors import AmpctlError
from ampctl.render.tree import write_all
from ampctl.render.values import values_files
from ampctl.spec import PRODUCT_KEY_SECRET, ClusterSpec
from ampctl.versions import check_mode

ROOT = Path(__file__).resolve().parents[2]
SHARED_CHARTS = ROOT.parent / "shared" / "charts"
ACCOUNT = "012345678901"
REGION = "ap-southeast-2"  # not the chart's us-west-2 default, so a default left in place shows
WORKSPACE = "ws-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
BUCKET = "kubecost-etl-012345678901-ap-southeast-2"
_PACKAGE = re.compile(r"^(?P<chart>cost-analyzer|kubecost)-(?P<version>\d+\.\d+\.\d+)\.tgz$")


@dataclass(frozen=True)
class Case:
    package: Path
    version: str
    primary: bool
    federated: bool

    @property
    def id(self) -> str:
        return f"{self.version}-{'primary' if self.primary else 'agent'}-{'federated' if self.federated else 'quick'}"

    def spec(self) -> ClusterSpec:
        return ClusterSpec(
            cluster=f"{'primary' if self.primary else 'agent'}-{self.version.replace('.', '-')}",
            region=REGION,
            account=ACCOUNT,
            oidc_issuer=f"https://oidc.eks.{REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
            workspace_id=WORKSPACE,
            primary=self.primary,
            federated=self.federated,
            bucket=BUCKET if self.federated else None,
            chart_version=self.version,
            product_key_secret=PRODUCT_KEY_SECRET if self.federated and self.version.startswith("2.") else None,
        )


def packages(chart: str) -> list[tuple[Path, str]]:
    """(package, version) of every chart of that name in ../shared/charts, oldest first."""
    if not SHARED_CHARTS.is_dir():
        return []
    found = []
    for path in SHARED_CHARTS.glob("*.tgz"):
        match = _PACKAGE.match(path.name)
        if match and match["chart"] == chart:
            found.append((path, match["version"]))
    return sorted(found, key=lambda item: tuple(int(p) for p in item[1].split(".")))


def all_cases() -> list[Case]:
    return [
        Case(package, version, primary, federated)
        for package, version in packages("cost-analyzer")
        for primary in (True, False)
        for federated in (True, False)
    ]


def runs(case: Case) -> bool:
    try:
        check_mode(case.version, case.federated)
    except AmpctlError:
        return False
    return True


RUNNABLE = [c for c in all_cases() if runs(c)]
REFUSED = [c for c in all_cases() if not runs(c)]
requires_charts = pytest.mark.skipif(
    not SHARED_CHARTS.is_dir(), reason=f"the real charts are not beside the repository ({SHARED_CHARTS} is absent)"
)


@dataclass
class Rendered:
    case: Case
    spec: ClusterSpec
    returncode: int
    stderr: str
    objects: list[dict[str, Any]]

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        return next((o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name), None)

    def of_kind(self, *kinds: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] in kinds]


def helm_template(helm: str, package: Path, values: list[Path]) -> subprocess.CompletedProcess[str]:
    argv = [helm, "template", "kubecost", str(package), "-n", "kubecost"]
    for path in values:
        argv += ["-f", str(path)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def _render(helm: str, case: Case, directory: Path) -> Rendered:
    spec = case.spec()
    files = [dataclasses.replace(f, name=f"{i:02d}-{f.name}") for i, f in enumerate(values_files(spec), start=1)]
    paths = write_all(files, directory / case.id)
    proc = helm_template(helm, case.package, paths)
    objects = [o for o in yaml.safe_load_all(proc.stdout) if o] if proc.returncode == 0 else []
    return Rendered(case, spec, proc.returncode, proc.stderr, objects)


@pytest.fixture(scope="session")
def rendered(helm3: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Every runnable case rendered once (two helm processes at a time)."""
    if not SHARED_CHARTS.is_dir():
        pytest.skip(f"the real charts are not beside the repository ({SHARED_CHARTS} is absent)")
    directory = tmp_path_factory.mktemp("chart-values")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda c: _render(helm3, c, directory), RUNNABLE))
    return {r.case.id: r for r in results}
