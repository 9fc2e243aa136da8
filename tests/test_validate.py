"""Validators, chart versions and deterministic names."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from ampctl import naming, validate
from ampctl.errors import AmpctlError

IAM_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")

CASES: list[tuple[Callable[[str], str], list[str], list[str]]] = [
    (
        validate.cluster_name,
        ["prod", "a", "0cluster", "my_cluster-1", "A" * 100],
        ["", "-prod", "_prod", "prod.east", "prod east", "A" * 101, "prød"],
    ),
    (
        validate.bucket_name,
        ["abc", "kubecost-etl-012345678901-us-east-1", "my.bucket.name", "a" * 63, "1bucket9"],
        [
            "ab",
            "a" * 64,
            "MyBucket",
            "-bucket",
            "bucket-",
            "my..bucket",
            "192.168.5.4",
            "xn--bucket",
            "bucket-s3alias",
            "my_bucket",
        ],
    ),
    (validate.workspace_alias, ["kubecost-amp", "a", "x" * 100, "Kubecost AMP (prod)"], ["", "x" * 101, "a\nb"]),
    (validate.namespace, ["kubecost", "k", "cost-1", "a" * 63], ["", "Kubecost", "-cost", "cost-", "a.b", "a" * 64]),
    (validate.release_name, ["kubecost", "kc.v2", "a" * 53], ["", "Kubecost", "kc_1", "a" * 54, "-kc"]),
    (
        validate.region,
        ["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-4"],
        ["", "US-EAST-1", "useast1", "us-east", "us-east-1a", "us_east_1"],
    ),
    (validate.account, ["012345678901", "123456789012"], ["", "12345678901", "1234567890123", "12345678901a"]),
    (validate.workspace_id, ["ws-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"], ["", "<pending>", "ws 1", "w" * 65]),
    (
        validate.oidc_issuer,
        ["https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"],
        ["oidc.eks.us-east-1.amazonaws.com/id/X", "http://oidc.eks.us-east-1.amazonaws.com/id/X", ""],
    ),
    (validate.label_name, ["cluster", "cluster_id", "_x"], ["", "1cluster", "cluster-id"]),
]
GOOD = [(fn, value) for fn, good, _ in CASES for value in good]
BAD = [(fn, value) for fn, _, bad in CASES for value in bad]


@pytest.mark.parametrize(("fn", "value"), GOOD, ids=[f"{f.__name__}:{v[:20]!r}" for f, v in GOOD])
def test_validators_accept(fn: Callable[[str], str], value: str) -> None:
    assert fn(value) == value


@pytest.mark.parametrize(("fn", "value"), BAD, ids=[f"{f.__name__}:{v[:20]!r}" for f, v in BAD])
def test_validators_refuse_with_one_line_and_a_hint(fn: Callable[[str], str], value: str) -> None:
    with pytest.raises(AmpctlError) as info:
        fn(value)
    assert "\n" not in info.value.message
    assert info.value.message.startswith("invalid ")
    assert info.value.hint


def test_validators_refuse_non_strings() -> None:
    with pytest.raises(AmpctlError):
        validate.account(123456789012)  # type: ignore[arg-type]


# --- naming ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("component", sorted(naming.COMPONENTS))
def test_role_names_short_clusters_read_plainly(component: str) -> None:
    assert naming.role_name("prod", component) == f"kubecost-prod-{component}"


def test_role_names_fit_iam_for_the_longest_cluster_names() -> None:
    longest = "c" + "x" * 99
    for component in naming.COMPONENTS:
        name = naming.role_name(longest, component)
        assert IAM_NAME.match(name), name
        assert name == naming.role_name(longest, component)  # deterministic
    assert IAM_NAME.match(naming.s3_policy_name(longest))


def test_role_names_of_long_clusters_sharing_a_prefix_differ() -> None:
    a = "shared-platform-production-eu-west-1-cluster-number-one"
    b = "shared-platform-production-eu-west-1-cluster-number-two"
    for component in naming.COMPONENTS:
        assert naming.role_name(a, component) != naming.role_name(b, component)
        assert len(naming.role_name(a, component)) <= 64
    assert naming.s3_policy_name(a) != naming.s3_policy_name(b)


def test_role_names_of_one_cluster_share_a_stem() -> None:
    cluster = "x" * 60
    stem_a = naming.role_name(cluster, "cost-analyzer").removesuffix("-cost-analyzer")
    stem_p = naming.role_name(cluster, "prometheus-server").removesuffix("-prometheus-server")
    assert stem_a == stem_p


def test_unknown_component_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        naming.role_name("prod", "grafana")


def test_s3_policy_name() -> None:
    assert naming.s3_policy_name("prod") == "kubecost-s3-federated-policy-prod"
    assert len(naming.s3_policy_name("p" * 35)) == 64
    assert naming.s3_policy_name("p" * 35) == "kubecost-s3-federated-policy-" + "p" * 35
    assert len(naming.s3_policy_name("p" * 36)) <= 64


def test_default_bucket_is_a_valid_unique_name() -> None:
    a = naming.default_bucket("012345678901", "us-east-1")
    assert a == "kubecost-etl-012345678901-us-east-1"
    assert validate.bucket_name(a) == a
    assert a != naming.default_bucket("012345678901", "us-east-2")
    assert a != naming.default_bucket("112345678901", "us-east-1")
    assert validate.bucket_name(naming.default_bucket("012345678901", "us-gov-west-1"))


def test_tags_and_labels() -> None:
    assert naming.aws_tags(None, None) == {"managed-by": "ampctl"}
    assert naming.aws_tags("prod", "fleet-a") == {
        "managed-by": "ampctl",
        "ampctl/cluster": "prod",
        "ampctl/fleet": "fleet-a",
    }
    assert naming.MANAGED_BY_LABEL == ("app.kubernetes.io/managed-by", "ampctl")
    assert naming.rule_namespace_name() == "kubecost-recording-rules"
    assert naming.aws_policy_arn(naming.AMP_QUERY_POLICY) == "arn:aws:iam::aws:policy/AmazonPrometheusQueryAccess"
    assert (
        naming.aws_policy_arn(naming.AMP_REMOTE_WRITE_POLICY)
        == "arn:aws:iam::aws:policy/AmazonPrometheusRemoteWriteAccess"
    )
