"""KubeEmulator: several emulated Kubernetes API servers, one port per cluster, in one process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ampctl.sandbox.kubeapi.cluster import Cluster
from ampctl.sandbox.kubeapi.profile import LEGACY, ClusterProfile, Provisioners
from ampctl.sandbox.kubeapi.server import ClusterServer
from ampctl.sandbox.kubeapi.store import ObjectStore

log = logging.getLogger(__name__)


class KubeEmulator:
    """Serve `clusters` over plain HTTP on `host`; ports default to free ones."""

    def __init__(
        self,
        clusters: Iterable[str] = ("sandbox-primary",),
        host: str = "127.0.0.1",
        ports: Mapping[str, int] | None = None,
        profiles: Mapping[str, ClusterProfile] | None = None,
    ) -> None:
        names = list(clusters)
        if len(set(names)) != len(names) or not names:
            raise ValueError(f"cluster names must be unique and non-empty: {names}")
        self.host = host
        self._ports = dict(ports or {})
        self._clusters = {name: Cluster(name, (profiles or {}).get(name, LEGACY)) for name in names}
        self._ticking = threading.Event()
        self._servers: dict[str, ClusterServer] = {}
        self._threads: list[threading.Thread] = []

    @property
    def clusters(self) -> list[str]:
        return list(self._clusters)

    def _cluster(self, name: str) -> Cluster:
        try:
            return self._clusters[name]
        except KeyError:
            raise KeyError(f"unknown cluster {name!r}; known: {', '.join(self._clusters)}") from None

    def start(self) -> None:
        if self._servers:
            return
        try:
            for name, cluster in self._clusters.items():
                server = ClusterServer(cluster, (self.host, self._ports.get(name, 0)))
                cluster.address = f"{self.host}:{server.server_address[1]}"
                self._servers[name] = server
                thread = threading.Thread(
                    target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"kubeapi-{name}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
            if any(c.profile.needs_ticks for c in self._clusters.values()):
                self._ticking.clear()
                ticker = threading.Thread(target=self._tick, name="kubeapi-ticker", daemon=True)
                ticker.start()
                self._threads.append(ticker)
        except BaseException:
            self.stop()
            raise

    TICK_SECONDS = 0.25

    def _tick(self) -> None:
        """Let time pass on realistic clusters: provisioners that started, pods that finished starting."""
        while not self._ticking.wait(self.TICK_SECONDS):
            for cluster in self._clusters.values():
                if cluster.profile.needs_ticks:
                    try:
                        if cluster.on_tick is not None:
                            cluster.on_tick()
                        cluster.controller.tick()
                    except Exception:  # the next tick tries again
                        log.exception("tick of %s failed", cluster.name)

    def set_provisioners(
        self, cluster: str, provisioners: Provisioners, on_tick: Callable[[], None] | None = None
    ) -> None:
        """Tell a cluster which provisioners run besides its profile's own (the EBS CSI add-on's, once active), and
        what else to do as time passes (`on_tick`, before the controller's own tick)."""
        found = self._cluster(cluster)
        found.store.provisioners = provisioners
        found.on_tick = on_tick

    def profile(self, cluster: str) -> ClusterProfile:
        return self._cluster(cluster).profile

    def stop(self) -> None:
        self._ticking.set()
        for server in self._servers.values():
            server.shutdown()
            server.close_connections()
            server.server_close()
        for cluster in self._clusters.values():
            cluster.store.close_watches()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> KubeEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, cluster: str) -> str:
        self._cluster(cluster)
        server = self._servers.get(cluster)
        if server is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self.host}:{server.server_address[1]}"

    def port(self, cluster: str) -> int:
        return int(self.url(cluster).rsplit(":", 1)[1])

    def store(self, cluster: str) -> ObjectStore:
        return self._cluster(cluster).store

    def register_service_backend(
        self, cluster: str, namespace: str, service: str, port: str | int, base_url: str
    ) -> None:
        self._cluster(cluster).backends.register(namespace, service, port, base_url)

    def unregister_service_backend(self, cluster: str, namespace: str, service: str, port: str | int) -> None:
        self._cluster(cluster).backends.unregister(namespace, service, port)

    def append_pod_log(self, cluster: str, namespace: str, pod: str, container: str, line: str) -> None:
        self._cluster(cluster).logs.append(namespace, pod, container, line)

    def set_pvc_binding(self, cluster: str, enabled: bool) -> None:
        """Bind new claims at once (the default) or leave them Pending; enabling binds pending ones."""
        self._cluster(cluster).controller.set_pvc_binding(enabled)

    def reset(self, cluster: str | None = None) -> None:
        """Every cluster (or one) back to a fresh state: objects, logs, backends, counters, binding."""
        for name in [cluster] if cluster else list(self._clusters):
            self._cluster(name).reset()

    def request_count(self, cluster: str) -> dict[str, int]:
        return self._cluster(cluster).requests.snapshot()

    def recent_requests(self, cluster: str) -> list[dict[str, Any]]:
        """The last requests served (method, path with query, contentType, status), oldest first."""
        return self._cluster(cluster).requests.recent()

    def kubeconfig(self, contexts: Mapping[str, str] | None = None, token: str = "sandbox-token") -> dict[str, Any]:
        """A kubeconfig for every cluster; `contexts` maps cluster -> context name (default: the name)."""
        names = dict(contexts or {})
        entries = [(c, names.get(c, c)) for c in self._clusters]
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [{"name": ctx, "cluster": {"server": self.url(c)}} for c, ctx in entries],
            "users": [{"name": ctx, "user": {"token": token}} for _c, ctx in entries],
            "contexts": [{"name": ctx, "context": {"cluster": ctx, "user": ctx}} for _c, ctx in entries],
            "current-context": entries[0][1],
        }
