"""A workspace in another account, on every real chart: the sigv4 proxy gets --role-arn (the cluster's query role
there) and Prometheus's remote write signs with sigv4.role_arn (its write role there)."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.charts.conftest import REGION, RUNNABLE, Case, Rendered, _render, requires_charts
from tests.charts.contract import container, flag

pytestmark = requires_charts
WORKSPACE_ACCOUNT = "999988887777"
# One case per chart version: the primary, federated where the line runs it, else quick-start.
CASES = list({c.version: c for c in sorted(RUNNABLE, key=lambda c: (c.primary, c.federated))}.values())


class _InAccount(Case):
    def spec(self):  # noqa: ANN201 - the parent's ClusterSpec, in the other account
        return dataclasses.replace(super().spec(), workspace_account=WORKSPACE_ACCOUNT)


@pytest.fixture(scope="module")
def in_account(helm3: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    directory: Path = tmp_path_factory.mktemp("workspace-account")
    cases = [_InAccount(c.package, c.version, c.primary, c.federated) for c in CASES]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return {r.case.version: r for r in pool.map(lambda c: _render(helm3, c, directory), cases)}


def _role(cluster: str, suffix: str) -> str:
    return f"arn:aws:iam::{WORKSPACE_ACCOUNT}:role/kubecost-{cluster}-{suffix}"


def test_every_supported_version_is_covered() -> None:
    assert {"1.103.4", "1.108.1", "2.4.2", "2.8.7", "2.9.7"} <= {c.version for c in CASES}


@pytest.mark.parametrize("version", [c.version for c in CASES])
def test_both_role_arns_reach_what_signs(version: str, in_account: dict[str, Rendered]) -> None:
    r = in_account[version]
    assert r.returncode == 0, r.stderr
    sidecar = container(r.find("Deployment", "kubecost-cost-analyzer"), "sigv4proxy")
    assert sidecar is not None
    assert flag([str(a) for a in sidecar.get("args") or []], "--role-arn") == _role(r.spec.cluster, "amp-query")
    config = r.find("ConfigMap", "kubecost-prometheus-server")
    assert config is not None
    writes = yaml.safe_load(config["data"]["prometheus.yml"])["remote_write"]
    assert [w["sigv4"] for w in writes] == [{"region": REGION, "role_arn": _role(r.spec.cluster, "amp-write")}]
