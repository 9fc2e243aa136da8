"""The primary's readers of the bucket: the aggregator StatefulSet (2.x and 3.x) and the 1.x federator Deployment.

Each round they list `federated/` with the credentials of their pod's ServiceAccount and read every
cluster's ETL (the federator also writes the combined result under `federated/combined/`), judged by
IAM as S3 would; what they found, or S3's refusal, goes to their pod's log.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ampctl.sandbox.kubecost import objects as ko
from ampctl.sandbox.kubecost.aws import CredentialError
from ampctl.sandbox.kubecost.logs import zerolog
from ampctl.sandbox.kubecost.s3 import EtlError, list_keys, read_store_config, s3_denial, store_object

if TYPE_CHECKING:
    from ampctl.sandbox.aws.emulator import AwsEmulator
    from ampctl.sandbox.kubeapi import KubeEmulator
    from ampctl.sandbox.kubecost.costmodel import CostModel

AGGREGATOR = "aggregator"
FEDERATOR = "federator"
PREFIX = "federated/"
COMBINED = "federated/combined/"


def reader_container(workload: ko.Obj) -> str | None:
    """`aggregator` (2.x primary StatefulSet) or `federator` (1.x primary Deployment), if it is one."""
    spec = ko.pod_spec(workload)
    for name in (AGGREGATOR, FEDERATOR):
        if ko.container(spec, name) is not None:
            return name
    return None


class FederationReader:
    def __init__(self, kube: KubeEmulator, aws: AwsEmulator, cost_model: CostModel) -> None:
        self.kube = kube
        self.aws = aws
        self.cost_model = cost_model

    def read(self, cluster: str, workload: ko.Obj) -> None:
        """One round of the aggregator or federator of `workload`."""
        name = reader_container(workload)
        store = self.kube.store(cluster)
        serving = ko.serving_pod(store, workload)
        if name is None or serving is None:
            return
        try:
            line = zerolog("INF", self._round(cluster, store, workload, name))
        except (EtlError, CredentialError) as exc:
            line = zerolog("ERR", f"{name}: reading federated storage: {exc}")
        pod = str(serving["metadata"]["name"])
        self.kube.append_pod_log(cluster, ko.namespace_of(workload), pod, name, line)

    def _round(self, cluster: str, store: ko.Store, workload: ko.Obj, name: str) -> str:
        reader = ko.container(ko.pod_spec(workload), name) or {}
        path = ko.store_config_path(store, workload, reader)
        config = read_store_config(store, workload, reader, path)
        bucket, secure = str(config["bucket"]), not config.get("insecure")
        self.cost_model.credentials(cluster, store, workload)  # CredentialError when the pod has none
        role = self.cost_model.role(cluster, store, workload)
        denial = s3_denial(self.aws, role, "s3:ListBucket", bucket, None, secure)
        keys = [k for k in list_keys(self.aws, bucket, PREFIX) if not k.startswith(COMBINED)] if not denial else []
        for key in keys[:1]:
            denial = denial or s3_denial(self.aws, role, "s3:GetObject", bucket, key, secure)
        if denial:
            raise EtlError(denial)
        clusters = sorted({k.split("/")[1] for k in keys if k.count("/") > 1})
        found = f"{len(keys)} ETL file(s) of {len(clusters)} cluster(s) ({', '.join(clusters) or 'none yet'})"
        if name == AGGREGATOR:
            return f"aggregator: ingested {found} from s3://{bucket}/{PREFIX}"
        combined = f"{COMBINED}etl/clusters.json"
        denial = s3_denial(self.aws, role, "s3:PutObject", bucket, combined, secure)
        if denial:
            raise EtlError(denial)
        store_object(self.aws, bucket, combined, json.dumps({"clusters": clusters}).encode())
        return f"federator: combined {found} into s3://{bucket}/{combined}"
