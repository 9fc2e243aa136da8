"""The Kubecost stand-in: what the cost-analyzer and prometheus-server pods of an installed chart do.

It watches each emulated cluster. For a Deployment `<x>-cost-analyzer` with a `sigv4proxy`
container it serves Service `<x>-cost-analyzer`'s cost-model port through the API server's service
proxy (see `kubecost_costmodel`), and a 3.x primary's Service `<x>-frontend` with the aggregator behind it (see
`kubecost_frontend3`); for a `<x>-prometheus-server` Deployment it remote-writes the
series a working install produces to the AMP emulator (see `kubecost_feeder`); with an object store
mounted it uploads federated ETL files to S3 (see `kubecost_etl`, also 2.9's finops-agent), and the
primary's aggregator (2.x) or federator (1.x) reads them back (see `kubecost_federation`). Everything is read from the
cluster and IAM at the time of use, so misconfiguration fails as it does on EKS, with the same
lines in the pods' logs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from ampctl.sandbox.kubecost import frontend3
from ampctl.sandbox.kubecost import objects as ko
from ampctl.sandbox.kubecost.costmodel import CostModel, CostModelServer, cost_analyzer_start_lines
from ampctl.sandbox.kubecost.etl import FederatedEtl
from ampctl.sandbox.kubecost.federation import FederationReader, reader_container
from ampctl.sandbox.kubecost.feeder import ExtraWriter, Feeder, is_prometheus_server, prometheus_start_lines

if TYPE_CHECKING:
    from ampctl.sandbox.aws.emulator import AwsEmulator
    from ampctl.sandbox.kubeapi import KubeEmulator

log = logging.getLogger(__name__)

_WATCHED = {"deployments", "statefulsets", "pods", "services", "configmaps", "serviceaccounts"}
# Service port (name and number) -> which server answers it.
_PORTS = {"tcp-model": "model", "9003": "model", "tcp-frontend": "frontend", "9090": "frontend"}
Registration = tuple[str, str, str, str]  # (namespace, service, port, the server's kind)


def is_cost_analyzer(workload: ko.Obj) -> bool:
    spec = ko.pod_spec(workload)
    return (
        str(workload["metadata"]["name"]).endswith("-cost-analyzer") and ko.container(spec, ko.SIGV4PROXY) is not None
    )


class KubecostStandIn:
    def __init__(
        self,
        kube: KubeEmulator,
        aws: AwsEmulator,
        amp_url: str,
        clusters: dict[str, str],
        feeder_interval: float = 5.0,
        resync_interval: float = 3.0,
    ) -> None:
        self.kube = kube
        self.clusters = dict(clusters)
        self.feeder_interval = feeder_interval
        self.resync_interval = resync_interval
        self.etl_interval = max(2.0, 4 * feeder_interval)
        self.cost_model = CostModel(kube, aws, amp_url)
        self.server = CostModelServer(self.cost_model, {frontend3.KIND: partial(frontend3.handle, kube)})
        self.feeder = Feeder(kube, amp_url, self.cost_model)
        self.etl = FederatedEtl(kube, aws, self.cost_model)
        self.federation = FederationReader(kube, aws, self.cost_model)
        self._lock = threading.Lock()
        self._paused: set[str] = set()
        self._extra: list[ExtraWriter] = []
        self._registered: dict[str, set[Registration]] = {c: set() for c in clusters}
        self._started_pods: dict[str, set[str]] = {c: set() for c in clusters}
        self._last_etl: dict[tuple[str, str, str], float] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._callback = self._on_change  # one bound method, so that unsubscribe finds it

    # lifecycle

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        self.server.start()
        for cluster in self.clusters:
            self.kube.store(cluster).subscribe(self._callback)
        for target, name in ((self._sync_loop, "kubecost-sync"), (self._feed_loop, "kubecost-feeder")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads = []
        for cluster in self.clusters:
            self.kube.store(cluster).unsubscribe(self._callback)
            self._apply_registrations(cluster, set())
        self.server.stop()

    # knobs

    def pause_feeder(self, cluster: str, paused: bool) -> None:
        """Stop (or resume) remote writes from one cluster's Prometheus, as if it were down."""
        if cluster not in self.clusters:
            raise KeyError(f"unknown cluster {cluster!r}")
        with self._lock:
            (self._paused.add if paused else self._paused.discard)(cluster)

    def add_extra_writer(self, cluster_id: str, workspace_id: str, region: str) -> None:
        """Also write series labelled `cluster_id` to a workspace, with the operator's credentials."""
        writer = ExtraWriter(cluster_id, workspace_id, region)
        with self._lock:
            if writer not in self._extra:
                self._extra.append(writer)

    # watching

    def _on_change(self, event_type: str, group_version: str, plural: str, obj: dict[str, Any]) -> None:
        if plural in _WATCHED:
            self._wake.set()

    def _sync_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            for cluster in self.clusters:
                try:
                    self.sync(cluster)
                except Exception:
                    log.exception("kubecost stand-in: sync of %s failed", cluster)
            self._wake.wait(self.resync_interval)

    def sync(self, cluster: str) -> None:
        """Register the service backends of every cost-analyzer, and write new pods' start-up logs."""
        store = self.kube.store(cluster)
        wanted: set[Registration] = set()
        pods: set[str] = set()
        for workload in store.list("apps/v1", "deployments"):
            if is_cost_analyzer(workload):
                namespace, name = ko.namespace_of(workload), str(workload["metadata"]["name"])
                wanted |= {(namespace, name, port, kind) for port, kind in _PORTS.items()}
                pods |= self._announce(cluster, store, workload, cost_analyzer_start_lines)
            elif frontend3.is_frontend(store, workload):
                namespace, name = ko.namespace_of(workload), str(workload["metadata"]["name"])
                wanted |= {(namespace, name, port, frontend3.KIND) for port in frontend3.PORTS}
            elif is_prometheus_server(workload):
                pods |= self._announce(cluster, store, workload, prometheus_start_lines)
        self._started_pods[cluster] &= pods  # forget pods that are gone
        self._apply_registrations(cluster, wanted)

    def _apply_registrations(self, cluster: str, wanted: set[Registration]) -> None:
        for namespace, service, port, _ in sorted(self._registered[cluster] - wanted):
            self.kube.unregister_service_backend(cluster, namespace, service, port)
        for namespace, service, port, kind in sorted(wanted):  # again each time: a cluster reset drops them
            url = self.server.base_url(kind, cluster, namespace, service)
            self.kube.register_service_backend(cluster, namespace, service, port, url)
        self._registered[cluster] = wanted

    def _announce(
        self, cluster: str, store: ko.Store, workload: ko.Obj, lines: Callable[[ko.Obj], list[tuple[str, str]]]
    ) -> set[str]:
        """Write the start-up (container, line)s of each running pod of `workload` seen for the first time.

        Returns the uids of the workload's running pods."""
        running = [p for p in ko.pods_of(store, workload) if ko.running(p)]
        for pod in running:
            if pod["metadata"]["uid"] not in self._started_pods[cluster]:
                self._started_pods[cluster].add(pod["metadata"]["uid"])
                for container, line in lines(workload):
                    name = str(pod["metadata"]["name"])
                    self.kube.append_pod_log(cluster, ko.namespace_of(pod), name, container, line)
        return {str(p["metadata"]["uid"]) for p in running}

    # feeding

    def _feed_loop(self) -> None:
        while not self._stop.wait(self.feeder_interval):
            with self._lock:
                writing = {c for c in self.clusters if c not in self._paused}
                extra = list(self._extra)
            for cluster in self.clusters:
                try:
                    if cluster in writing:
                        self.feeder.tick(cluster, self.clusters[cluster])
                    self._etl_round(cluster)
                except Exception:
                    log.exception("kubecost stand-in: feeding %s failed", cluster)
            for writer in extra:
                try:
                    self.feeder.write_extra(writer)
                except Exception:
                    log.exception("kubecost stand-in: extra writer %s failed", writer.cluster_id)

    def _etl_round(self, cluster: str) -> None:
        now = time.monotonic()
        store = self.kube.store(cluster)
        for workload in store.list("apps/v1", "deployments") + store.list("apps/v1", "statefulsets"):
            key = (cluster, ko.namespace_of(workload), f"{workload['kind']}/{workload['metadata']['name']}")
            agent = ko.container(ko.pod_spec(workload), ko.FINOPS_AGENT) is not None
            # The finops-agent emits every minute (agent.exporter.emissionInterval 1m, finops-agent values.yaml at
            # v1.0.20): the sandbox's minute is the feeder interval.
            if now - self._last_etl.get(key, -1e9) < (self.feeder_interval if agent else self.etl_interval):
                continue
            self._last_etl[key] = now
            if workload["kind"] == "Deployment" and is_cost_analyzer(workload):
                self.etl.build(cluster, workload)
            elif agent:
                self.etl.export(cluster, workload)
            elif reader_container(workload) is not None:
                self.federation.read(cluster, workload)
