"""The CLI frame: start-up cost, version, exit codes and the error handler."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ampctl.cli.errorhandler import handle
from ampctl.errors import AmpctlError

HEAVY = ("boto3", "botocore", "kubernetes", "pyhelm3", "jinja2")


def run_ampctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ampctl", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


@pytest.mark.parametrize("argv", [["--help"], ["sandbox", "--help"], ["--version"]])
def test_help_imports_no_heavy_module(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from ampctl.cli.app import main\n"
        f"sys.argv = ['ampctl', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_version() -> None:
    from ampctl import __version__

    proc = run_ampctl("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"ampctl {__version__}"


def test_user_error_is_one_line_with_hint_and_exit_1(tmp_path: Path) -> None:
    proc = run_ampctl("sandbox", "status", "--state-dir", str(tmp_path))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[0] == "error: the sandbox is not running"
    assert lines[1].startswith("hint: start it with")
    assert "Traceback" not in proc.stderr


def test_json_status_when_not_running(tmp_path: Path) -> None:
    proc = run_ampctl("--output", "json", "sandbox", "status", "--state-dir", str(tmp_path))
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {"running": False}


def test_usage_error_is_a_user_error() -> None:
    proc = run_ampctl("sandbox", "up", "--clusters", "0")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("error: Invalid value for '--clusters'")
    assert lines[1] == "hint: see `ampctl sandbox up --help`"
    assert "Traceback" not in proc.stderr


def test_unexpected_error_exit_3_with_private_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.environ["AMPCTL_LOG_DIR"] = str(tmp_path / "logs")
    try:
        secret = "do-not-print-me"

        def boom() -> None:
            token = secret  # a local that must never reach the log
            raise RuntimeError("boom " + token[:0])

        assert handle(boom) == 3
    finally:
        del os.environ["AMPCTL_LOG_DIR"]
    err = capsys.readouterr().err
    assert "unexpected error: RuntimeError: boom" in err
    logs = list((tmp_path / "logs").glob("crash-*.log"))
    assert len(logs) == 1
    assert str(logs[0]) in err.replace("\n", "")
    assert logs[0].stat().st_mode & 0o777 == 0o600
    text = logs[0].read_text()
    assert "RuntimeError: boom" in text and secret not in text


def test_keyboard_interrupt_exit_130() -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    assert handle(interrupted) == 130


def test_ampctl_error_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    def fails() -> None:
        raise AmpctlError("the thing is wrong", "do the other thing")

    assert handle(fails) == 1
    err = capsys.readouterr().err
    assert "error: the thing is wrong" in err and "hint: do the other thing" in err


def test_aws_credentials_error_is_translated(capsys: pytest.CaptureFixture[str]) -> None:
    from botocore.exceptions import NoCredentialsError

    def fails() -> None:
        raise NoCredentialsError()

    assert handle(fails) == 1
    assert "no AWS credentials found" in capsys.readouterr().err


def test_sandbox_up_without_prometheus_says_what_to_install(tmp_path: Path) -> None:
    env = {"PATH": str(Path(sys.executable).parent)}  # no /usr/bin: no prometheus
    proc = run_ampctl("sandbox", "up", "--state-dir", str(tmp_path / "sb"), env=env)
    assert proc.returncode == 1
    assert "Prometheus (prometheus) is not installed" in proc.stderr
    assert "apt-get install prometheus" in proc.stderr
    assert not (tmp_path / "sb").exists()
