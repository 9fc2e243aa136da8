"""IAM reads shared by provisioning, doctor, status and teardown."""

from __future__ import annotations

from typing import Any

from ampctl.naming import MANAGED_BY_TAG


def is_managed(tags: list[dict[str, str]] | None) -> bool:
    key, value = MANAGED_BY_TAG
    return any(t.get("Key") == key and t.get("Value") == value for t in tags or [])


def get_role(iam: Any, name: str) -> dict[str, Any] | None:
    try:
        return dict(iam.get_role(RoleName=name)["Role"])
    except iam.exceptions.NoSuchEntityException:
        return None


def attached_policy_arns(iam: Any, role: str) -> set[str]:
    arns: set[str] = set()
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role):
        arns.update(p["PolicyArn"] for p in page["AttachedPolicies"])
    return arns


def get_policy(iam: Any, arn: str) -> dict[str, Any] | None:
    try:
        return dict(iam.get_policy(PolicyArn=arn)["Policy"])
    except iam.exceptions.NoSuchEntityException:
        return None


def policy_document(iam: Any, arn: str, version: str) -> Any:
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


def role_tags(iam: Any, name: str) -> list[dict[str, str]]:
    tags: list[dict[str, str]] = []
    for page in iam.get_paginator("list_role_tags").paginate(RoleName=name):
        tags.extend(page["Tags"])
    return tags


def policy_tags(iam: Any, arn: str) -> list[dict[str, str]]:
    return list(iam.list_policy_tags(PolicyArn=arn).get("Tags", []))


def tags_of_role(iam: Any, role: dict[str, Any]) -> list[dict[str, str]]:
    """The tags of a GetRole answer, listed only when the answer left them out."""
    return list(role["Tags"]) if "Tags" in role else role_tags(iam, str(role["RoleName"]))


def tags_of_policy(iam: Any, policy: dict[str, Any]) -> list[dict[str, str]]:
    """The tags of a GetPolicy answer, listed only when the answer left them out."""
    return list(policy["Tags"]) if "Tags" in policy else policy_tags(iam, str(policy["Arn"]))


def oidc_provider_arns(iam: Any) -> set[str]:
    """The ARNs of the account's IAM OIDC providers."""
    return {str(p["Arn"]) for p in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", [])}


def oidc_provider_exists(iam: Any, arn: str) -> bool:
    return arn in oidc_provider_arns(iam)


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def managed_roles(iam: Any) -> dict[str, list[dict[str, str]]]:
    """The account's roles named kubecost-* and tagged managed-by=ampctl, by name, with their tags."""
    from functools import partial

    from ampctl.pool import together

    names = [
        role["RoleName"]
        for page in iam.get_paginator("list_roles").paginate()
        for role in page["Roles"]
        if role["RoleName"].startswith("kubecost-")
    ]
    # ListRoles does not return a role's tags ("To view all of the information for a role, see GetRole", IAM API
    # Reference, ListRoles: Tags is not among the listed attributes): every role's tags are asked at once.
    found = together([partial(role_tags, iam, name) for name in names])
    return {name: tags for name, tags in zip(names, found, strict=True) if is_managed(tags)}


def tag_value(tags: list[dict[str, str]], key: str) -> str | None:
    return next((t.get("Value") for t in tags if t.get("Key") == key), None)


def managed_clusters(iam: Any) -> set[str]:
    """Cluster names from the IAM roles tagged managed-by=ampctl (tag ampctl/cluster)."""
    from ampctl.naming import CLUSTER_TAG

    return {cluster for tags in managed_roles(iam).values() if (cluster := tag_value(tags, CLUSTER_TAG))}
