"""Federated ETL: once cost-model's queries succeed, it puts its ETL files under
`federated/<cluster_id>/` in the bucket named by the object-store configuration it reads (the file
`FEDERATED_STORE_CONFIG` points at, wherever the chart mounts the Secret), with its role's
credentials (judged by IAM as S3 would). On 2.9 the finops-agent also writes to that bucket, as its
own service account; the sandbox puts its exports under `finops-agent/<cluster_id>/`."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import yaml

from ampctl.sandbox import kubecost_objects as ko
from ampctl.sandbox.iam_eval import role_policies
from ampctl.sandbox.iam_policy import evaluate
from ampctl.sandbox.kubecost_aws import CredentialError
from ampctl.sandbox.kubecost_logs import zerolog

if TYPE_CHECKING:
    from ampctl.sandbox.aws import AwsEmulator
    from ampctl.sandbox.kubeapi import KubeEmulator
    from ampctl.sandbox.kubecost_costmodel import CostModel

DAY = 86400
PROBE_QUERY = "up"


class EtlError(Exception):
    pass


def _day(now: float | None) -> str:
    start = int((now if now is not None else time.time()) // DAY * DAY)
    return f"{start}-{start + DAY}"


def etl_key(cluster_id: str, now: float | None = None) -> str:
    return f"federated/{cluster_id}/etl/bingen/allocations/1d/{_day(now)}"


def finops_key(cluster_id: str, now: float | None = None) -> str:
    return f"finops-agent/{cluster_id}/export/1d/{_day(now)}"


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
        """One export of a finops-agent Deployment (2.9) to the bucket, as its own service account."""
        store = self.kube.store(cluster)
        agent = ko.container(ko.pod_spec(workload), ko.FINOPS_AGENT)
        serving = ko.serving_pod(store, workload)
        if agent is None or serving is None:
            return
        namespace = ko.namespace_of(workload)
        cluster_id = ko.env_value(store, namespace, agent, "CLUSTER_ID") or ""
        key = finops_key(cluster_id)
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
        namespace = ko.namespace_of(workload)
        found = ko.mounted_secret_file(ko.pod_spec(workload), writer, path)
        text = ko.secret_value(store, namespace, found[0], found[1]) if found else None
        if text is None:
            raise EtlError(f"open {path}: no such file or directory")
        try:
            config = (yaml.safe_load(text) or {}).get("config") or {}
            bucket = str(config["bucket"])
        except (yaml.YAMLError, AttributeError, KeyError, TypeError) as exc:
            raise EtlError(f"{path}: invalid object store configuration: {exc}") from None
        self.cost_model.credentials(cluster, store, workload)  # CredentialError when the pod has none
        role = ko.irsa_role(store, namespace, ko.service_account_of(store, workload)) or ""
        denial = self._put_denial(role, bucket, key, secure=not config.get("insecure"))
        if denial:
            raise EtlError(f"upload {key}: {denial}")
        body = json.dumps({"cluster_id": cluster_id, "window": key.rsplit("/", 1)[-1], "allocations": {}})
        self._store_object(bucket, key, body.encode())
        return bucket

    def _put_denial(self, role_arn: str, bucket: str, key: str, secure: bool) -> str | None:
        """Why S3 would refuse the role's PutObject (its policies and the bucket policy), or None."""
        resource = f"arn:aws:s3:::{bucket}/{key}"
        context = {"aws:SecureTransport": str(secure).lower(), "aws:PrincipalArn": role_arn}
        identity = evaluate(role_policies(self.aws, role_arn), "s3:PutObject", resource, context)
        try:
            policy = [json.loads(self.aws.client("s3").get_bucket_policy(Bucket=bucket)["Policy"])]
        except Exception as exc:
            code = _error_code(exc)
            if code == "NoSuchBucket":
                return "NoSuchBucket: The specified bucket does not exist"
            if code != "NoSuchBucketPolicy":
                raise
            policy = []
        resource_side = evaluate(policy, "s3:PutObject", resource, context, principal=("AWS", role_arn))
        user = _assumed_role_arn(role_arn)
        if "Deny" in (identity, resource_side):
            where = "resource-based" if resource_side == "Deny" else "identity-based"
            return (
                f"AccessDenied: User: {user} is not authorized to perform: s3:PutObject on resource: "
                f'"{resource}" with an explicit deny in a {where} policy'
            )
        if "Allow" not in (identity, resource_side):
            return (
                f"AccessDenied: User: {user} is not authorized to perform: s3:PutObject on resource: "
                f'"{resource}" because no identity-based policy allows the s3:PutObject action'
            )
        return None

    def _store_object(self, bucket: str, key: str, body: bytes) -> None:
        """Write the object as S3 would after allowing it.

        moto judges bucket policies without their conditions, so a TLS-only policy would deny every
        write made over the emulator's plain HTTP; the decision is `_put_denial`'s."""
        from moto.s3.models import s3_backends

        s3_backends[self.aws.config.account]["aws"].put_object(bucket, key, body)


def _error_code(exc: Exception) -> str:
    return str((getattr(exc, "response", None) or {}).get("Error", {}).get("Code", ""))


def _assumed_role_arn(role_arn: str) -> str:
    """arn:aws:iam::<account>:role/<path/name> -> the session ARN S3 names in AccessDenied."""
    fields = role_arn.split(":")
    account = fields[4] if len(fields) > 5 else ""
    return f"arn:aws:sts::{account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/kubecost"
