"""`ampctl sandbox up | down | status | env`: start, stop and describe the local stack."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ampctl.errors import AmpctlError
from ampctl.sandbox.config import (
    OPERATOR_ACCESS_KEY,
    OPERATOR_SECRET_KEY,
    SandboxConfig,
    SandboxState,
    read_state,
)

START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped) is not running.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def _is_ours(pid: int, marker: str) -> bool:
    """True when pid is alive and its command line carries the marker we started it with."""
    return _alive(pid) and marker in _cmdline(pid)


def running_state(state_dir: Path) -> SandboxState | None:
    state = read_state(state_dir)
    if state and _is_ours(state.pid, str(state_dir / "config.json")):
        return state
    return None


def up(config: SandboxConfig) -> tuple[SandboxState, bool]:
    """Start the sandbox (or return the running one). Returns (state, started_now)."""
    import shutil

    from ampctl.sandbox.kubecost.chartrepo import ChartPackageError, cost_analyzer_versions

    state_dir = config.state_dir
    if config.charts_dir is not None:
        try:
            cost_analyzer_versions(config.charts_dir)
        except ChartPackageError as exc:
            raise AmpctlError(
                f"--charts: {exc}", "pass a directory of packaged charts, e.g. ../shared/charts"
            ) from None
    if shutil.which(config.prometheus_bin) is None:
        raise AmpctlError(
            f"Prometheus ({config.prometheus_bin}) is not installed: the AMP emulator needs it",
            "apt-get install prometheus (or run scripts/setup.sh)",
        )
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    existing = running_state(state_dir)
    if existing:
        return existing, False
    (state_dir / "state.json").unlink(missing_ok=True)
    config_path = state_dir / "config.json"
    config_path.write_text(json.dumps(config.to_json(), indent=2))
    log = open(state_dir / "daemon.log", "ab")  # noqa: SIM115 - handed to the child
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true", PYTHONUNBUFFERED="1")
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ampctl.sandbox.daemon", str(config_path)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
        cwd=state_dir,
    )
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AmpctlError(
                f"the sandbox daemon exited with code {proc.returncode} while starting",
                f"see {state_dir / 'daemon.log'}: {_tail(state_dir / 'daemon.log')}",
            )
        state = read_state(state_dir)
        if state and state.pid == proc.pid:
            return state, True
        time.sleep(0.1)
    proc.terminate()
    raise AmpctlError("the sandbox did not start in time", f"see {state_dir / 'daemon.log'}")


def _tail(path: Path, lines: int = 1) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


@dataclass
class DownResult:
    stopped: list[int]
    already_stopped: bool


def down(state_dir: Path) -> DownResult:
    """Stop exactly the daemon this state directory started, and the processes it started."""
    state = read_state(state_dir)
    if state is None:
        return DownResult([], True)
    stopped: list[int] = []
    marker = str(state_dir / "config.json")
    children = [pid for pid in state.child_pids if _is_ours(pid, str(state_dir))]
    if _is_ours(state.pid, marker):
        os.kill(state.pid, signal.SIGTERM)
        _wait_gone([state.pid], STOP_TIMEOUT)
        if _alive(state.pid):
            os.kill(state.pid, signal.SIGKILL)
        stopped.append(state.pid)
    for pid in children:
        if _is_ours(pid, str(state_dir)):
            os.kill(pid, signal.SIGTERM)
    _wait_gone(children, STOP_TIMEOUT)
    for pid in children:
        if _is_ours(pid, str(state_dir)):
            os.kill(pid, signal.SIGKILL)
    stopped.extend(children)
    (state_dir / "state.json").unlink(missing_ok=True)
    return DownResult(stopped, False)


def _wait_gone(pids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)


def env_exports(state: SandboxState) -> dict[str, str]:
    exports = {
        "AWS_ENDPOINT_URL": state.aws_endpoint,
        "AWS_ACCESS_KEY_ID": OPERATOR_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": OPERATOR_SECRET_KEY,
        "AWS_REGION": state.region,
        "AWS_DEFAULT_REGION": state.region,
        "KUBECONFIG": state.kubeconfig,
        "AMPCTL_AMP_ENDPOINT": state.amp_endpoint,
        "AMPCTL_CHART_REPO": state.chart_repo,
    }
    if state.workspace_account:
        from ampctl.sandbox.config import workspace_admin_role_arn

        # Read by nothing in ampctl: a convenience for `--workspace-account-role "$AMPCTL_SANDBOX_WORKSPACE_ROLE"`.
        exports["AMPCTL_SANDBOX_WORKSPACE_ROLE"] = workspace_admin_role_arn(state.workspace_account)
    return exports


def env_script(state: SandboxState) -> str:
    lines = ["unset AWS_PROFILE AWS_SESSION_TOKEN"]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in env_exports(state).items()]
    return "\n".join(lines) + "\n"
