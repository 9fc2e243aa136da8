"""The wheel installs into a fresh virtual environment, runs, and carries the templates."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_installs_runs_and_ships_templates(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(dist.glob("ampctl-*.whl"))
    env_dir = tmp_path / "venv"
    # The fresh environment sees this interpreter's packages for the dependencies (no network
    # needed) but has ampctl only from the wheel.
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = subprocess.run(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "deps.pth").write_text(deps + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", site, str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    probe = (
        "import ampctl, pathlib; from ampctl.resources import templates_dir;"
        "d = templates_dir(); print(d); print(sorted(p.name for p in d.iterdir()))"
    )
    proc = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True)
    where, names = proc.stdout.splitlines()
    assert where.startswith(site), "templates must come from the installed wheel"
    assert "config-values.yaml.j2" in names
    charts = subprocess.run(
        [str(python), "-c",
         "from ampctl.sandbox.kubecost.chartrepo import chart_dirs; print(*chart_dirs(), sep='\\n')"],
        capture_output=True, text=True, cwd=tmp_path, check=True,
    )  # fmt: skip
    found = charts.stdout.split()
    assert [Path(p).name for p in found] == ["cost-analyzer-1.108.1", "cost-analyzer-2.8.7"]
    assert all(p.startswith(site) for p in found)
    version = subprocess.run(
        [str(python), "-m", "ampctl", "--version"], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert version.stdout.startswith("ampctl ")
