"""The sandbox's chart repository built from a directory of chart packages (`sandbox up --charts DIR`)."""

from __future__ import annotations

import functools
import hashlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from ampctl.sandbox.kubecost.chartrepo import ChartPackageError, build_chart_repo, cost_analyzer_versions
from tests.conftest import REAL_CHARTS
from tests.sandbox.real_charts import needs_real_charts


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "served"
    (root / "charts").mkdir(parents=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield root / "charts", f"http://127.0.0.1:{server.server_address[1]}/charts"
    finally:
        server.shutdown()
        server.server_close()


@needs_real_charts
def test_real_packages_are_served_as_they_are(helm3: str, served: tuple[Path, str], tmp_path: Path) -> None:
    dest, url = served
    (dest / "cost-analyzer-0.0.1.tgz").write_bytes(b"stale")  # left by an earlier run
    build_chart_repo(dest, url, REAL_CHARTS)
    index = yaml.safe_load((dest / "index.yaml").read_text())
    versions = [e["version"] for e in index["entries"]["cost-analyzer"]]
    assert versions == ["2.9.7", "2.8.7", "2.4.2", "1.108.1", "1.103.4"]
    assert [e["version"] for e in index["entries"]["kubecost"]] == ["3.2.1"]
    assert not (dest / "cost-analyzer-0.0.1.tgz").exists()
    for entry in index["entries"]["cost-analyzer"]:
        source = REAL_CHARTS / f"cost-analyzer-{entry['version']}.tgz"
        assert entry["digest"] == hashlib.sha256(source.read_bytes()).hexdigest()
        assert entry["urls"] == [f"{url}/cost-analyzer-{entry['version']}.tgz"]

    helm_env = {f"HELM_{k}_HOME": str(tmp_path / k.lower()) for k in ("CACHE", "CONFIG", "DATA")}
    out = tmp_path / "pulled"
    out.mkdir()
    done = subprocess.run(
        [helm3, "pull", "cost-analyzer", "--repo", url, "--version", "2.9.7", "-d", str(out)],
        capture_output=True, text=True, timeout=60, env=helm_env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (out / "cost-analyzer-2.9.7.tgz").read_bytes() == (REAL_CHARTS / "cost-analyzer-2.9.7.tgz").read_bytes()

    build_chart_repo(dest, url)  # back to the stand-ins: the real packages go
    index = yaml.safe_load((dest / "index.yaml").read_text())
    assert [e["version"] for e in index["entries"]["cost-analyzer"]] == ["2.8.7", "1.108.1"]
    assert sorted(p.name for p in dest.glob("*.tgz")) == ["cost-analyzer-1.108.1.tgz", "cost-analyzer-2.8.7.tgz"]


def test_a_directory_without_cost_analyzer_packages_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ChartPackageError, match="is not a directory"):
        cost_analyzer_versions(tmp_path / "missing")
    with pytest.raises(ChartPackageError, match="holds no cost-analyzer chart package"):
        cost_analyzer_versions(tmp_path)
    (tmp_path / "cost-analyzer-9.9.9.tgz").write_bytes(b"not a gzip file")
    with pytest.raises(ChartPackageError, match="cost-analyzer-9.9.9.tgz is not a chart package"):
        cost_analyzer_versions(tmp_path)


def test_sandbox_up_with_a_bad_charts_dir_says_what_is_wrong(tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = subprocess.run(
        [sys.executable, "-m", "ampctl", "sandbox", "up", "--state-dir", str(state), "--charts", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: --charts: {tmp_path} holds no cost-analyzer chart package (cost-analyzer-<version>.tgz)"]
    assert "Traceback" not in done.stderr
    assert not (state / "config.json").exists()
