"""Shared test set-up: the helm/kubectl binaries from scripts/install-tools.sh and Prometheus."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The real Kubecost chart packages, beside the clone (read-only in CI); absent: the stand-in charts.
REAL_CHARTS = ROOT.parent / "shared" / "charts"
TOOLS = Path(os.environ.get("AMPCTL_TOOLS_DIR", Path(sys.executable).parent))


def _tool(name: str) -> str:
    path = TOOLS / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: run scripts/install-tools.sh")
    return found


@pytest.fixture(scope="session")
def helm3() -> str:
    return _tool("helm3")


@pytest.fixture(scope="session")
def helm4() -> str:
    return _tool("helm4")


@pytest.fixture(scope="session")
def kubectl() -> str:
    return _tool("kubectl")


@pytest.fixture(scope="session")
def prometheus_bin() -> str:
    found = shutil.which("prometheus")
    if not found:
        raise RuntimeError("prometheus not found: apt-get install prometheus (see .ci/run)")
    return found


class Sandbox:
    """A running sandbox (the real daemon, started once per test session) and helpers to read it."""

    def __init__(self, state_dir: Path) -> None:
        from ampctl.sandbox.config import read_state
        from ampctl.sandbox.manager import env_exports

        state = read_state(state_dir)
        assert state is not None
        self.state = state
        self.state_dir = state_dir
        self.env = {**env_exports(state)}

    def _post(self, url: str, body: dict | None = None) -> dict:
        import json
        import urllib.request

        data = json.dumps(body or {}).encode()
        req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"{}")

    def _get(self, url: str) -> object:
        import json
        import urllib.request

        with urllib.request.urlopen(url, timeout=30) as resp:
            return json.loads(resp.read())

    def reset(self) -> None:
        self._post(f"{self.state.aws_endpoint}/_sandbox/reset")
        for cluster in self.state.clusters.values():
            self._post(f"{cluster.api_url}/_sandbox/reset")

    def clear_aws_calls(self) -> None:
        self._post(f"{self.state.aws_endpoint}/_sandbox/calls/clear")

    def aws_mutations(self) -> list[dict]:
        calls = self._get(f"{self.state.aws_endpoint}/_sandbox/calls")
        assert isinstance(calls, list)
        return [c for c in calls if c["mutating"]]

    def kube_mutations(self) -> dict[str, int]:
        out = {}
        for name, cluster in self.state.clusters.items():
            counts = self._get(f"{cluster.api_url}/_sandbox/requests")
            assert isinstance(counts, dict)
            out[name] = sum(v for k, v in counts.items() if k in {"POST", "PUT", "PATCH", "DELETE"})
        return out

    def context(self, cluster: str) -> str:
        return self.state.clusters[cluster].context

    def client(self, service: str):  # noqa: ANN201 - a boto3 client
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.state.aws_endpoint,
            region_name=self.state.region,
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
        )

    @property
    def workspace_role(self) -> str:
        """The role the operator may assume in the sandbox's workspace account."""
        from ampctl.sandbox.config import workspace_admin_role_arn

        return workspace_admin_role_arn(self.state.workspace_account)

    def workspace_client(self, service: str):  # noqa: ANN201 - a boto3 client acting in the workspace account
        import boto3

        creds = self.client("sts").assume_role(RoleArn=self.workspace_role, RoleSessionName="tests")["Credentials"]
        return boto3.client(
            service,
            endpoint_url=self.state.aws_endpoint,
            region_name=self.state.region,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    def kube(self, cluster: str):  # noqa: ANN201 - a CoreV1Api
        from kubernetes import client, config

        api = config.new_client_from_config(config_file=self.state.kubeconfig, context=self.context(cluster))
        return client.CoreV1Api(api)

    def ampctl(self, *args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self.env)
        env["PATH"] = f"{TOOLS}{os.pathsep}{env.get('PATH', '')}"
        env["AMPCTL_HELM"] = str(TOOLS / "helm3")
        return subprocess.run(
            [sys.executable, "-m", "ampctl", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=timeout,
        )


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory, prometheus_bin: str) -> Iterator[Sandbox]:
    from ampctl.sandbox import manager
    from ampctl.sandbox.config import WORKSPACE_ACCOUNT_ID, SandboxConfig

    state_dir = tmp_path_factory.mktemp("sandbox")
    charts = REAL_CHARTS if REAL_CHARTS.is_dir() else None
    config = SandboxConfig(
        state_dir=state_dir, feeder_interval=0.5, prometheus_bin=prometheus_bin, charts_dir=charts,
        workspace_account=WORKSPACE_ACCOUNT_ID, auto_mode_clusters=("sandbox-west",),
    )  # fmt: skip
    manager.up(config)
    try:
        yield Sandbox(state_dir)
    finally:
        manager.down(state_dir)


def ok(proc: subprocess.CompletedProcess[str]) -> dict:
    """Assert an ampctl run succeeded; its JSON output when it was asked for JSON."""
    import json

    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if proc.stdout.lstrip().startswith("{") else {}
