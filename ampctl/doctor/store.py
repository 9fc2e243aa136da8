"""The federated store as doctor reads it: the object-store Secret's config and the bucket an S3 policy names."""

from __future__ import annotations

from typing import Any

from ampctl import yamltext

STORE_KEY = "federated-store.yaml"


def parse_store_secret(secret: dict[str, Any] | None, name: str) -> tuple[dict[str, Any] | None, str]:
    """(the parsed `config` of the Secret's federated-store.yaml, or None with what is wrong); `name` is
    namespace/name of the Secret."""
    import base64

    import yaml

    if secret is None:
        return None, f"secret {name} not found"
    data = secret.get("data") or {}
    if STORE_KEY not in data:
        return None, f"secret {name} has no key {STORE_KEY} (keys: {', '.join(sorted(data)) or 'none'})"
    try:
        parsed = yamltext.load(base64.b64decode(data[STORE_KEY]).decode())
    except (ValueError, yaml.YAMLError):
        return None, f"{STORE_KEY} in secret {name} is not valid YAML"
    if not isinstance(parsed, dict) or str(parsed.get("type", "")).upper() != "S3":
        return None, f"{STORE_KEY} in secret {name} is not an S3 store (type S3)"
    config = parsed.get("config")
    if not isinstance(config, dict) or not config.get("bucket"):
        return None, f"{STORE_KEY} in secret {name} names no bucket"
    return config, ""


def policy_bucket(iam: Any, account: str, cluster: str, region: str) -> str | None:
    """The bucket the cluster's S3 policy (as ampctl names it) grants, if the policy exists."""
    from ampctl.aws.iam import get_policy, policy_document
    from ampctl.documents import parse_document
    from ampctl.endpoints import arn as make_arn
    from ampctl.naming import policy_arn, s3_policy_name

    arn = policy_arn(account, s3_policy_name(cluster), region=region)
    prefix = make_arn("s3", "", region=region)
    policy = get_policy(iam, arn)
    if policy is None:
        return None
    document = parse_document(policy_document(iam, arn, str(policy["DefaultVersionId"])))
    for statement in document.get("Statement") or []:
        resources = statement.get("Resource")
        for resource in resources if isinstance(resources, list) else [resources]:
            text = str(resource or "")
            if text.startswith(prefix) and "/" not in text:
                return text[len(prefix) :]
    return None
