"""Federated ETL: once cost-model's queries succeed, it puts its ETL files under
`federated/<cluster_id>/` in the bucket named by the object-store configuration it reads (the file
`FEDERATED_STORE_CONFIG` points at, wherever the chart mounts the Secret), with its role's
credentials (judged by IAM as S3 would). The finops-agent writes to that bucket as its own service account: beside
2.9's cost-model the sandbox puts its exports under `finops-agent/<cluster_id>/` (its own choice, apart from
cost-model's ETL); on 3.x, where it is the only writer, under `federated/<cluster_id>/` (see `kubecost3_key`)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from ampctl.sandbox.kubecost import objects as ko
from ampctl.sandbox.kubecost.aws import CredentialError
from ampctl.sandbox.kubecost.logs import zerolog
from ampctl.sandbox.kubecost.s3 import EtlError, read_store_config, s3_denial, store_object

if TYPE_CHECKING:
    from ampctl.sandbox.aws.emulator import AwsEmulator
    from ampctl.sandbox.kubeapi import KubeEmulator
    from ampctl.sandbox.kubecost.costmodel import CostModel

DAY = 86400
HOUR = 3600
PROBE_QUERY = "up"


def _day(now: float | None) -> str:
    start = int((now if now is not None else time.time()) // DAY * DAY)
    return f"{start}-{start + DAY}"


def etl_key(cluster_id: str, now: float | None = None) -> str:
    return f"federated/{cluster_id}/etl/bingen/allocations/1d/{_day(now)}"


def finops_key(cluster_id: str, now: float | None = None) -> str:
    return f"finops-agent/{cluster_id}/export/1d/{_day(now)}"


def kubecost3_key(cluster_id: str, now: float | None = None) -> str:
    """Where a 3.x finops-agent writes: OpenCost's exporter layout, which the agent is built on (Kubecost v3.0.0
    release notes: "uses the new v1.0.0 IBM FinOps Agent", OpenCost v1.117.5), `<root>/<cluster>/etl/bingen/
    <pipeline>/<resolution>/<start>-<end>` with root `federated` (opencost core/pkg/exporter/pathing,
    BingenStoragePathFormatter and DefaultRootDir). Assumption: the agent's own root and pipelines are not public;
    the hourly window is rewritten every round, as a window still open is."""
    start = int((now if now is not None else time.time()) // HOUR * HOUR)
    return f"federated/{cluster_id}/etl/bingen/allocations/1h/{start}-{start + HOUR}"


class FederatedEtl:
    def __init__(self, kube: KubeEmulator, aws: AwsEmulator, cost_model: CostModel) -> None:
        self.kube = kube
        self.aws = aws
        self.cost_model = cost_model

    def build(self, cluster: str, workload: ko.Obj) -> None:
        """One ETL build of a cost-analyzer Deployment; a no-op when it is not a federated install."""
        store = self.kube.store(cluster)
        spec = ko.pod_spec(workload)
        model = ko.container(spec, ko.COST_MODEL)
        serving = ko.serving_pod(store, workload)
        if model is None or serving is None:
            return
        namespace, name = ko.namespace_of(workload), str(workload["metadata"]["name"])
        path = ko.env_value(store, namespace, model, "FEDERATED_STORE_CONFIG")
        if path is None and ko.mounted_secret_file(spec, model, ko.OBJECT_STORE_CONFIG) is None:
            return
        if not self.cost_model.probe(cluster, namespace, name, PROBE_QUERY):
            return
        cluster_id = ko.env_value(store, namespace, model, "CLUSTER_ID") or "cluster-one"
        key = etl_key(cluster_id)
        try:
            bucket = self._put(cluster, store, workload, model, path or ko.OBJECT_STORE_CONFIG, key, cluster_id)
        except (EtlError, CredentialError) as exc:
            line = zerolog("ERR", f"ETL: Allocation[1d]: failed to save to federated storage: {exc}")
        else:
            line = zerolog("INF", f"ETL: Allocation[1d]: saved s3://{bucket}/{key}")
        self.kube.append_pod_log(cluster, namespace, str(serving["metadata"]["name"]), ko.COST_MODEL, line)

    def export(self, cluster: str, workload: ko.Obj) -> None:
        """One export of a finops-agent Deployment to the bucket, as its own service account: 2.9's beside cost-model,
        3.x's (no cost-model in its namespace) where the primary's aggregator reads it."""
        store = self.kube.store(cluster)
        agent = ko.container(ko.pod_spec(workload), ko.FINOPS_AGENT)
        serving = ko.serving_pod(store, workload)
        if agent is None or serving is None:
            return
        namespace = ko.namespace_of(workload)
        cluster_id = ko.env_value(store, namespace, agent, "CLUSTER_ID") or ""
        key = finops_key(cluster_id) if ko.beside_cost_model(store, namespace) else kubecost3_key(cluster_id)
        try:
            bucket = self._put(cluster, store, workload, agent, ko.FINOPS_STORE_CONFIG, key, cluster_id)
        except (EtlError, CredentialError) as exc:
            line = zerolog("ERR", f"export: failed to write to the federated store: {exc}")
        else:
            line = zerolog("INF", f"export: wrote s3://{bucket}/{key}")
        self.kube.append_pod_log(cluster, namespace, str(serving["metadata"]["name"]), ko.FINOPS_AGENT, line)

    def _put(
        self, cluster: str, store: ko.Store, workload: ko.Obj, writer: ko.Obj, path: str, key: str, cluster_id: str
    ) -> str:
        config = read_store_config(store, workload, writer, path)
        bucket = str(config["bucket"])
        self.cost_model.credentials(cluster, store, workload)  # CredentialError when the pod has none
        role = self.cost_model.role(cluster, store, workload)
        denial = s3_denial(self.aws, role, "s3:PutObject", bucket, key, secure=not config.get("insecure"))
        if denial:
            raise EtlError(f"upload {key}: {denial}")
        body = json.dumps({"cluster_id": cluster_id, "window": key.rsplit("/", 1)[-1], "allocations": {}})
        store_object(self.aws, bucket, key, body.encode())
        return bucket
