"""One target resolver and one option set on every command: the defects of the old per-command handling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import Sandbox

PRIMARY, EAST = "sandbox-primary", "sandbox-east"
WS = "ws-12345678-abcd-ef01-2345-6789abcdef01"
OFFLINE = ("--account", "123456789012", "--oidc-issuer", "https://oidc.eks.us-east-2.amazonaws.com/id/EXAMPLE")


def plain_kubeconfig(sandbox: Sandbox, tmp_path: Path) -> Path:
    """The sandbox's kubeconfig plus a context named `plain` (not an EKS ARN) for sandbox-east."""
    config = yaml.safe_load(Path(sandbox.state.kubeconfig).read_text())
    east = next(c for c in config["contexts"] if c["name"] == sandbox.context(EAST))
    config["contexts"].append({"name": "plain", "context": dict(east["context"])})
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return path


def fleet_file(sandbox: Sandbox, directory: Path) -> Path:
    path = directory / "ampctl.yaml"
    path.write_text(
        f"apiVersion: ampctl/v1\nkind: Fleet\nname: demo\nregion: {sandbox.state.region}\n"
        f"primary:\n  context: {sandbox.context(PRIMARY)}\nclusters:\n  - context: {sandbox.context(EAST)}\n"
    )
    return path


def test_teardown_of_a_plain_context_takes_cluster_and_region(sandbox: Sandbox, tmp_path: Path) -> None:
    kubeconfig = plain_kubeconfig(sandbox, tmp_path)
    missing = sandbox.ampctl("teardown", "--context", "plain", "--kubeconfig", str(kubeconfig), "--dry-run")
    assert missing.returncode == 1 and "pass --cluster NAME and --region REGION" in missing.stderr
    args = ("--context", "plain", "--cluster", EAST, "--region", sandbox.state.region, "--kubeconfig", str(kubeconfig))
    proc = sandbox.ampctl("teardown", *args, "--dry-run", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [c["cluster"] for c in json.loads(proc.stdout)["clusters"]] == [EAST]


def test_values_option_refuses_a_fleet_file_and_render_keeps_it_out_of_helm(sandbox: Sandbox, tmp_path: Path) -> None:
    path = fleet_file(sandbox, tmp_path)
    out = tmp_path / "out"
    refused = sandbox.ampctl("render", "--out-dir", str(out), "-f", str(path), "--workspace-id", WS, *OFFLINE)
    assert refused.returncode == 1 and "--fleet" in refused.stderr and "is a fleet file" in refused.stderr
    assert not out.exists()
    proc = sandbox.ampctl("render", "--out-dir", str(out), "-F", str(path), "--workspace-id", WS, *OFFLINE)
    assert proc.returncode == 0, proc.stderr
    command = (out / "helm-command.sh").read_text()
    assert "ampctl.yaml" not in command and PRIMARY in command


@pytest.mark.parametrize("where", ["before", "after"])
def test_global_options_work_before_or_after_the_subcommand(sandbox: Sandbox, tmp_path: Path, where: str) -> None:
    def run(*options: str) -> subprocess.CompletedProcess[str]:
        command = ("render", "--out-dir", str(tmp_path / "out"), "--context", sandbox.context(PRIMARY), *OFFLINE)
        args = (*options, *command) if where == "before" else (*command, *options)
        return sandbox.ampctl(*args, "--workspace-id", WS, cwd=tmp_path)

    verbose = run("-v", "--profile", "default")
    assert verbose.returncode == 0, verbose.stderr
    quiet = run("-q")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert "wrote" in run().stderr
    as_json = run("-o", "json")
    assert json.loads(as_json.stdout)["cluster"] == PRIMARY
    config = tmp_path / "nothing"
    config.write_text("apiVersion: v1\nkind: Config\ncontexts: []\n")
    other = run("--kubeconfig", str(config))
    assert other.returncode == 1 and "is not in the kubeconfig" in other.stderr


def test_verbose_after_the_subcommand_names_aws_calls(sandbox: Sandbox, tmp_path: Path) -> None:
    proc = sandbox.ampctl("bootstrap", "--dry-run", "--context", sandbox.context(PRIMARY), "-v", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "aws sts GetCallerIdentity" in proc.stderr


def test_status_without_a_target_uses_the_fleet_file_beside_it_else_the_context(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    fleet_dir = tmp_path / "fleet"
    fleet_dir.mkdir()
    fleet_file(sandbox, fleet_dir)
    beside = sandbox.ampctl("status", "-o", "json", cwd=fleet_dir)
    assert beside.returncode == 0, beside.stderr
    assert "using fleet file ampctl.yaml (fleet demo)" in beside.stderr
    in_fleet = [c["cluster"] for c in json.loads(beside.stdout)["clusters"] if c["in_fleet"]]
    assert in_fleet == [PRIMARY, EAST]
    alone = sandbox.ampctl("doctor", "-o", "json", "--max-sample-age", "1h", cwd=tmp_path, timeout=240)
    assert alone.returncode in (0, 2), alone.stderr
    current = yaml.safe_load(Path(sandbox.state.kubeconfig).read_text())["current-context"]
    assert f"using the current context {current}" in alone.stderr
    teardown = sandbox.ampctl("teardown", "--dry-run", cwd=fleet_dir)
    assert teardown.returncode == 0 and "using fleet file ampctl.yaml" in teardown.stderr


def test_bootstrap_help_shows_the_bracketed_words() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ampctl", "bootstrap", "--help"],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0
    assert "recording rules, [bucket], IAM" in proc.stdout and ", , " not in proc.stdout


def test_sandbox_state_lives_in_one_per_user_place(sandbox: Sandbox, tmp_path: Path) -> None:
    state_home = tmp_path / "state"
    (state_home / "ampctl").mkdir(parents=True)
    (state_home / "ampctl" / "sandbox").symlink_to(sandbox.state_dir)
    env = {k: v for k, v in os.environ.items() if k != "AMPCTL_SANDBOX_DIR"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "ampctl", "sandbox", "env"],
        capture_output=True, text=True, env={**env, "XDG_STATE_HOME": str(state_home)}, cwd=elsewhere, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert sandbox.state.aws_endpoint in proc.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "ampctl", "sandbox", "env"],
        capture_output=True, text=True, env={**env, "XDG_STATE_HOME": str(tmp_path / "none")}, cwd=elsewhere,
        timeout=60,
    )  # fmt: skip
    assert missing.returncode == 1 and "not running" in missing.stderr
