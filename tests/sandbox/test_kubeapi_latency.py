"""The emulator's latency stays flat: nothing it keeps grows with the number of requests served."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ampctl.sandbox.kubeapi import KubeEmulator, ObjectStore

CLUSTER = "sandbox-primary"
CHART = Path(__file__).parent / "data" / "testchart"


@pytest.fixture(scope="module")
def emulator() -> Iterator[KubeEmulator]:
    emu = KubeEmulator([CLUSTER])
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def kubeconfig(emulator: KubeEmulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("latency") / "kubeconfig"
    path.write_text(yaml.safe_dump(emulator.kubeconfig()))
    return path


class Connection:
    """One keep-alive HTTP/1.1 connection, as Go clients hold them."""

    def __init__(self, url: str) -> None:
        self.conn = http.client.HTTPConnection(url.split("//", 1)[1], timeout=10)

    def __call__(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data, headers={"Content-Type": content_type})
        response = self.conn.getresponse()
        return response.status, json.loads(response.read())


def test_per_request_time_does_not_grow(emulator: KubeEmulator) -> None:
    call = Connection(emulator.url(CLUSTER))
    assert call("POST", "/api/v1/namespaces", {"metadata": {"name": "churn"}})[0] == 201
    base = "/api/v1/namespaces/churn/secrets"
    batches: list[list[float]] = []
    for batch in range(10):  # 10 batches of 40 rounds of 5 requests: 2000 requests
        durations = []
        for n in range(40):
            name = f"s{n % 20}"
            started = time.perf_counter()
            assert (
                call(
                    "POST",
                    base,
                    {
                        "metadata": {"name": name, "labels": {"owner": "helm", "n": str(n)}},
                        "stringData": {"release": "x" * 2000},
                    },
                )[0]
                == 201
            )
            assert call("GET", f"{base}/{name}")[0] == 200
            status, listing = call("GET", f"{base}?labelSelector=owner%3Dhelm%2Cn%3D{n}")
            assert status == 200 and len(listing["items"]) == 1
            assert (
                call(
                    "PATCH",
                    f"{base}/{name}",
                    {"metadata": {"labels": {"batch": str(batch)}}},
                    "application/merge-patch+json",
                )[0]
                == 200
            )
            assert call("DELETE", f"{base}/{name}")[0] == 200
            durations.append(time.perf_counter() - started)
        batches.append(durations)
    first, last = statistics.median(batches[0]), statistics.median(batches[-1])
    assert last < first * 3 + 0.005, f"5 requests took {first * 1000:.1f} ms at first, {last * 1000:.1f} ms at the end"
    assert sum(emulator.request_count(CLUSTER).values()) >= 2000
    assert len(emulator.store(CLUSTER).hub.history) <= ObjectStore.HISTORY
    assert len(emulator.recent_requests(CLUSTER)) <= 256


def test_helm_install_time_does_not_grow(emulator: KubeEmulator, kubeconfig: Path, helm3: str, tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "KUBECONFIG": str(kubeconfig),
        "HELM_CACHE_HOME": str(tmp_path / "c"),
        "HELM_CONFIG_HOME": str(tmp_path / "g"),
        "HELM_DATA_HOME": str(tmp_path / "d"),
    }
    times = []
    for n in range(10):
        started = time.perf_counter()
        subprocess.run(
            [helm3, "install", f"rel{n}", str(CHART), "-n", "releases", "--create-namespace"],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        times.append(time.perf_counter() - started)
    first, last = statistics.median(times[:3]), statistics.median(times[-3:])
    assert last < first * 2 + 0.25, f"helm install went from {first:.2f} s to {last:.2f} s"
    assert len(emulator.store(CLUSTER).list("v1", "secrets", "releases", "owner=helm")) == 10
