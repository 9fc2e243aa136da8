"""IAM and S3 documents, drift comparison, and the endpoints they are built from."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from ampctl import endpoints
from ampctl.documents import (
    bucket_tls_policy,
    documents_equal,
    s3_access_policy,
    trust_policy,
)
from ampctl.spec import SA_COST_ANALYZER, SA_PROMETHEUS, ClusterSpec

ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
HOST = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
SPEC = ClusterSpec(cluster="prod", region="eu-west-1", account="012345678901", oidc_issuer=ISSUER, workspace_id="ws-1")


@pytest.mark.parametrize("sa", [SA_COST_ANALYZER, SA_PROMETHEUS])
def test_trust_policy(sa: str) -> None:
    doc = trust_policy(SPEC, sa)
    (statement,) = doc["Statement"]
    assert doc["Version"] == "2012-10-17"
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::012345678901:oidc-provider/{HOST}"}
    assert statement["Condition"] == {
        "StringEquals": {
            f"{HOST}:sub": f"system:serviceaccount:kubecost:{sa}",
            f"{HOST}:aud": "sts.amazonaws.com",
        }
    }
    for key in statement["Condition"]["StringEquals"]:
        assert "https://" not in key and not key.startswith("arn:")


def test_trust_policy_follows_the_namespace_and_a_trailing_slash_issuer() -> None:
    spec = ClusterSpec(
        cluster="prod", region="eu-west-1", account="012345678901", oidc_issuer=ISSUER + "/", workspace_id="ws-1",
        namespace="cost",
    )  # fmt: skip
    keys = trust_policy(spec, SA_PROMETHEUS)["Statement"][0]["Condition"]["StringEquals"]
    assert keys[f"{HOST}:sub"] == f"system:serviceaccount:cost:{SA_PROMETHEUS}"


def test_s3_access_policy_is_least_privilege() -> None:
    doc = s3_access_policy("my-bucket")
    bucket, objects = doc["Statement"]
    assert bucket["Resource"] == "arn:aws:s3:::my-bucket"
    assert set(bucket["Action"]) == {"s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"}
    assert objects["Resource"] == "arn:aws:s3:::my-bucket/*"
    assert set(objects["Action"]) == {
        "s3:PutObject",
        "s3:GetObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
    }
    seed_actions = {
        "s3:ListBucket", "s3:GetBucketLocation", "s3:PutObject", "s3:GetObject", "s3:ListBucketMultipartUploads",
        "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:ListMultipartUploadParts",
    }  # fmt: skip
    assert set(bucket["Action"]) | set(objects["Action"]) == seed_actions
    for statement in doc["Statement"]:
        assert statement["Effect"] == "Allow"
        assert all("*" not in action for action in statement["Action"])
    assert "*" not in json.dumps(doc).replace("my-bucket/*", "")


def test_bucket_tls_policy() -> None:
    (statement,) = bucket_tls_policy("my-bucket")["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"]


# --- drift comparison ------------------------------------------------------------------------------


def reordered(doc: dict[str, Any]) -> dict[str, Any]:
    """What AWS may hand back: keys and lists in another order, one-item lists as scalars."""
    result = json.loads(json.dumps(doc))
    for statement in result["Statement"]:
        if isinstance(statement.get("Action"), list):
            statement["Action"] = list(reversed(statement["Action"]))
        if isinstance(statement.get("Resource"), list):
            statement["Resource"] = list(reversed(statement["Resource"]))
    result["Statement"] = list(reversed(result["Statement"]))
    return dict(reversed(list(result.items())))


@pytest.mark.parametrize(
    "doc", [trust_policy(SPEC, SA_COST_ANALYZER), s3_access_policy("b-1"), bucket_tls_policy("b-1")]
)
def test_documents_equal_ignores_order_and_encoding(doc: dict[str, Any]) -> None:
    assert documents_equal(doc, doc)
    assert documents_equal(doc, reordered(doc))
    assert documents_equal(doc, json.dumps(doc))
    assert documents_equal(quote(json.dumps(reordered(doc))), doc)


def test_documents_equal_single_string_vs_list() -> None:
    a = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "x"}}
    b = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["x"]}]}
    assert documents_equal(a, b)


def test_documents_equal_sees_real_drift() -> None:
    doc = trust_policy(SPEC, SA_COST_ANALYZER)
    other_sa = trust_policy(SPEC, SA_PROMETHEUS)
    assert not documents_equal(doc, other_sa)
    swapped = json.loads(json.dumps(doc))
    condition = swapped["Statement"][0]["Condition"]["StringEquals"]
    condition[f"https://{HOST}:aud"] = condition.pop(f"{HOST}:aud")
    assert not documents_equal(doc, swapped)
    assert not documents_equal(s3_access_policy("a-1"), s3_access_policy("b-1"))
    extra = s3_access_policy("a-1")
    extra["Statement"][0]["Action"].append("s3:PutBucketPolicy")
    assert not documents_equal(s3_access_policy("a-1"), extra)


def test_documents_equal_refuses_garbage() -> None:
    assert not documents_equal(s3_access_policy("a-1"), "not json")
    assert not documents_equal("%7Bbroken", s3_access_policy("a-1"))


# --- endpoints ------------------------------------------------------------------------------------


def test_endpoints() -> None:
    assert endpoints.amp_host("eu-west-1") == "aps-workspaces.eu-west-1.amazonaws.com"
    assert (
        endpoints.query_endpoint("eu-west-1", "ws-1")
        == "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1"
    )
    assert endpoints.remote_write_url("eu-west-1", "ws-1") == (
        "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write"
    )
    assert endpoints.sidecar_query_url("ws-1") == "http://localhost:8005/workspaces/ws-1"
    assert endpoints.issuer_host(ISSUER) == HOST
    assert endpoints.issuer_host(HOST) == HOST
    assert endpoints.oidc_provider_arn("012345678901", ISSUER) == f"arn:aws:iam::012345678901:oidc-provider/{HOST}"
