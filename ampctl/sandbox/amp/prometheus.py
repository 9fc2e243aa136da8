"""Real Prometheus processes on 127.0.0.1, one per key (an AMP workspace id), started on demand."""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

CONFIG = """\
global:
  scrape_interval: 1m
  evaluation_interval: 1m
storage:
  tsdb:
    out_of_order_time_window: 2h
scrape_configs: []
"""


class PrometheusError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrometheusProcess:
    key: str
    port: int
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self.log.close()


def _ready(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
    try:
        conn.request("GET", "/-/ready")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


class PrometheusPool:
    """Starts `prometheus` lazily for each key, with its own TSDB under `data_dir/<key>`."""

    def __init__(self, binary: str, data_dir: Path, ready_timeout: float = 30.0) -> None:
        self.binary = binary
        self.data_dir = Path(data_dir)
        self.ready_timeout = ready_timeout
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._procs: dict[str, PrometheusProcess] = {}
        self._closed = False

    def get(self, key: str) -> PrometheusProcess:
        with self._lock:
            if self._closed:
                raise PrometheusError("the Prometheus pool is stopped")
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            proc = self._procs.get(key)
            if proc is not None and proc.alive():
                return proc
            if proc is not None:
                proc.stop()
            proc = self._start(key)
            with self._lock:
                if self._closed:
                    proc.stop()
                    raise PrometheusError("the Prometheus pool is stopped")
                self._procs[key] = proc
            return proc

    def pids(self) -> list[int]:
        with self._lock:
            return [proc.pid for proc in self._procs.values() if proc.alive()]

    def stop(self) -> None:
        with self._lock:
            self._closed = True
            procs = list(self._procs.values())
            self._procs.clear()
        for proc in procs:
            proc.stop()

    def _start(self, key: str, attempts: int = 3) -> PrometheusProcess:
        workdir = self.data_dir / key
        workdir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / f"{key}.yml"
        config.write_text(CONFIG)
        last = ""
        for _ in range(attempts):
            port = free_port()
            log = (self.data_dir / f"{key}.log").open("ab")
            process = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={workdir}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--web.enable-remote-write-receiver",
                    "--log.level=warn",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            proc = PrometheusProcess(key=key, port=port, process=process, log=log)
            deadline = time.monotonic() + self.ready_timeout
            while time.monotonic() < deadline and proc.alive():
                if _ready(port):
                    return proc
                time.sleep(0.02)
            proc.stop()
            with contextlib.suppress(OSError):
                last = (self.data_dir / f"{key}.log").read_text(errors="replace")[-500:]
        raise PrometheusError(f"prometheus for {key} did not become ready: {last.strip()}")
