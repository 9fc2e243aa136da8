"""Federated ETL: once cost-model's queries succeed, it puts its ETL files under
`federated/<cluster_id>/` in the bucket its mounted object-store Secret names, with its role's
credentials (judged by IAM as S3 would)."""

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


def etl_key(cluster_id: str, now: float | None = None) -> str:
    start = int((now if now is not None else time.time()) // DAY * DAY)
    return f"federated/{cluster_id}/etl/bingen/allocations/1d/{start}-{start + DAY}"


class FederatedEtl:
    def __init__(self, kube: KubeEmulator, aws: AwsEmulator, cost_model: CostModel) -> None:
        self.kube = kube
        self.aws = aws
        self.cost_model = cost_model

    def build(self, cluster: str, workload: ko.Obj) -> None:
        """One ETL build of a cost-analyzer Deployment; a no-op when it has no object store mounted."""
        store = self.kube.store(cluster)
        spec = ko.pod_spec(workload)
        model = ko.container(spec, ko.COST_MODEL)
        secret = ko.mounted_secret(spec, model, ko.OBJECT_STORE_MOUNT) if model else None
        serving = ko.serving_pod(store, workload)
        if model is None or secret is None or serving is None:
            return
        pod = str(serving["metadata"]["name"])
        namespace, name = ko.namespace_of(workload), str(workload["metadata"]["name"])
        if not self.cost_model.probe(cluster, namespace, name, PROBE_QUERY):
            return
        cluster_id = ko.env_value(store, namespace, model, "CLUSTER_ID") or "cluster-one"
        key = etl_key(cluster_id)
        try:
            bucket = self._put(cluster, store, workload, secret, key, cluster_id)
        except (EtlError, CredentialError) as exc:
            line = zerolog("ERR", f"ETL: Allocation[1d]: failed to save to federated storage: {exc}")
        else:
            line = zerolog("INF", f"ETL: Allocation[1d]: saved s3://{bucket}/{key}")
        self.kube.append_pod_log(cluster, namespace, pod, ko.COST_MODEL, line)

    def _put(self, cluster: str, store: ko.Store, workload: ko.Obj, secret: str, key: str, cluster_id: str) -> str:
        namespace = ko.namespace_of(workload)
        path = f"{ko.OBJECT_STORE_MOUNT}/{ko.OBJECT_STORE_KEY}"
        text = ko.secret_value(store, namespace, secret, ko.OBJECT_STORE_KEY)
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
