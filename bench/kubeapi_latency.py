"""Benchmark: the Kubernetes API emulator's latency as the number of requests served grows.

Prints the median time of a create/get/list/patch/delete round per batch of 200 rounds
(1000 requests), and the time of successive `helm install`s of the test chart. Flat columns
mean nothing the emulator keeps grows with the requests it has served.

    .venv/bin/python bench/kubeapi_latency.py [--batches 20] [--helm .venv/bin/helm3 --releases 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ampctl.sandbox.kubeapi import KubeEmulator  # noqa: E402

CHART = Path(__file__).resolve().parent.parent / "tests" / "sandbox" / "data" / "testchart"


def request(conn: http.client.HTTPConnection, method: str, path: str, body: object = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    kind = "application/merge-patch+json" if method == "PATCH" else "application/json"
    conn.request(method, path, body=data, headers={"Content-Type": kind})
    response = conn.getresponse()
    response.read()
    return response.status


def rounds(emu: KubeEmulator, batches: int) -> None:
    conn = http.client.HTTPConnection(emu.url("bench").split("//", 1)[1], timeout=10)
    request(conn, "POST", "/api/v1/namespaces", {"metadata": {"name": "bench"}})
    base = "/api/v1/namespaces/bench/secrets"
    print("batch  requests-served  median-round-ms  p90-round-ms")
    for batch in range(batches):
        durations = []
        for n in range(200):
            name = f"s{n % 20}"
            started = time.perf_counter()
            request(
                conn,
                "POST",
                base,
                {"metadata": {"name": name, "labels": {"owner": "helm"}}, "stringData": {"v": "x" * 2000}},
            )
            request(conn, "GET", f"{base}/{name}")
            request(conn, "GET", f"{base}?labelSelector=owner%3Dhelm")
            request(conn, "PATCH", f"{base}/{name}", {"metadata": {"labels": {"batch": str(batch)}}})
            request(conn, "DELETE", f"{base}/{name}")
            durations.append((time.perf_counter() - started) * 1000)
        served = sum(emu.request_count("bench").values())
        p90 = statistics.quantiles(durations, n=10)[-1]
        print(f"{batch:5d}  {served:15d}  {statistics.median(durations):15.2f}  {p90:12.2f}")


def helm_installs(emu: KubeEmulator, helm: str, releases: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        kubeconfig.write_text(yaml.safe_dump(emu.kubeconfig()))
        env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp, "KUBECONFIG": str(kubeconfig)}
        print("release  helm-install-s")
        for n in range(releases):
            started = time.perf_counter()
            subprocess.run(
                [helm, "install", f"rel{n}", str(CHART), "-n", "releases", "--create-namespace"],
                env=env, check=True, capture_output=True, timeout=120,
            )  # fmt: skip
            print(f"{n:7d}  {time.perf_counter() - started:14.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--helm", default=str(Path(sys.executable).parent / "helm3"))
    parser.add_argument("--releases", type=int, default=20)
    args = parser.parse_args()
    emu = KubeEmulator(["bench"])
    emu.start()
    try:
        rounds(emu, args.batches)
        if args.releases and Path(args.helm).exists():
            helm_installs(emu, args.helm, args.releases)
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
