"""What ampctl applies besides the chart: the object-store and product-key Secrets, the IRSA
ServiceAccounts, and the AMP recording rules."""

from __future__ import annotations

import base64
import json
from typing import Any

from ampctl import endpoints, naming
from ampctl.chartkeys import line_keys
from ampctl.errors import AmpctlError
from ampctl.render.templating import render
from ampctl.spec import OBJECT_STORE_SECRET, PRODUCT_KEY_SECRET, ClusterSpec

OBJECT_STORE_KEY = "federated-store.yaml"
PRODUCT_KEY_KEY = "productkey.json"


def federated_store_yaml(spec: ClusterSpec) -> str:
    """The object-store configuration Kubecost reads from the Secret's federated-store.yaml key."""
    if not spec.bucket:
        raise AmpctlError(
            f"cluster {spec.cluster}: federated mode needs an S3 bucket for the ETL data",
            "pass --bucket (every cluster of the fleet uses the primary's bucket)",
        )
    return render(
        "federated-store.yaml.j2",
        bucket=spec.bucket,
        endpoint=endpoints.s3_endpoint(spec.region),
        region=spec.region,
        aws_sdk_auth=line_keys(spec.chart_version).aws_sdk_auth,
    )


def _secret(spec: ClusterSpec, name: str, key: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": spec.namespace, "labels": naming.managed_labels()},
        "type": "Opaque",
        "data": {key: base64.b64encode(value.encode()).decode()},
    }


def object_store_secret(spec: ClusterSpec) -> dict[str, Any]:
    return _secret(spec, OBJECT_STORE_SECRET, OBJECT_STORE_KEY, federated_store_yaml(spec))


def product_key_secret(spec: ClusterSpec, key: str) -> dict[str, Any]:
    """The Enterprise product key as the chart expects it: productkey.json = {"key": "..."}."""
    if not key.strip():
        raise AmpctlError("the product key is empty", "pass the Kubecost Enterprise key you were given")
    name = spec.product_key_secret or PRODUCT_KEY_SECRET
    return _secret(spec, name, PRODUCT_KEY_KEY, json.dumps({"key": key.strip()}))


def service_account(spec: ClusterSpec, name: str, role_arn: str) -> dict[str, Any]:
    """The ServiceAccount: under IRSA annotated with its role; under EKS Pod Identity without (an association binds
    it to the role)."""
    metadata: dict[str, Any] = {"name": name, "namespace": spec.namespace, "labels": naming.managed_labels()}
    if not spec.pod_identity:
        metadata["annotations"] = {naming.ROLE_ARN_ANNOTATION: role_arn}
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata}


def irsa_roles(spec: ClusterSpec) -> list[tuple[str, str]]:
    """(service account, IAM role name) for each IRSA component of the cluster (on 3.x: each that uses the bucket)."""
    accounts = spec.line.service_accounts(spec.primary, spec.release)
    return [(sa, naming.role_name(spec.cluster, component)) for component, sa in accounts.items()]


def pod_identity_associations(spec: ClusterSpec) -> list[dict[str, str]]:
    """The (cluster, namespace, ServiceAccount, role ARN) of each EKS pod identity association the cluster needs."""
    return [
        {"clusterName": spec.cluster, "namespace": spec.namespace, "serviceAccount": sa,
         "roleArn": naming.role_arn(spec.account, role, region=spec.region)}
        for sa, role in irsa_roles(spec)
    ]  # fmt: skip


def pod_identity_note(spec: ClusterSpec) -> str:
    """What GitOps cannot apply: the associations are AWS objects, made by `ampctl bootstrap`/`add-cluster` or IaC."""
    lines = [
        f"# EKS Pod Identity on cluster {spec.cluster}",
        "",
        "The ServiceAccounts in serviceaccounts.yaml carry no role annotation: EKS binds them to their IAM roles",
        "through pod identity associations. Those are AWS objects, not Kubernetes ones, so a GitOps tool cannot apply",
        "them: create them with `ampctl bootstrap`/`ampctl add-cluster --identity pod-identity` (which also checks the",
        "eks-pod-identity-agent add-on) or with Terraform (`aws_eks_pod_identity_association`), one per line below.",
        "The roles' trust policies are in iam/*-trust.json.",
        "",
        "| cluster | namespace | service account | role ARN |",
        "|---|---|---|---|",
    ]
    for a in pod_identity_associations(spec):
        lines.append(f"| {a['clusterName']} | {a['namespace']} | {a['serviceAccount']} | {a['roleArn']} |")
    lines += ["", "With the AWS CLI:", ""]
    for a in pod_identity_associations(spec):
        lines.append(
            f"    aws eks create-pod-identity-association --cluster-name {a['clusterName']} --region {spec.region} "
            f"--namespace {a['namespace']} --service-account {a['serviceAccount']} --role-arn {a['roleArn']}"
        )
    return "\n".join(lines) + "\n"


def recording_rules(seed_form: bool) -> str:
    """The two recording-rule groups, with current cAdvisor labels unless the AWS guide's form is wanted."""
    if seed_form:
        return render("recording-rules.yaml.j2", container="container_name", pod="pod_name", form="AWS guide form")
    return render("recording-rules.yaml.j2", container="container", pod="pod", form="current cAdvisor labels")
