"""Federated ETL: the object-store Secret (parsed, never shown), the bucket, and the cluster's ETL objects."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

from ampctl.doctor.facts import Facts
from ampctl.doctor.model import CheckSpec, Result, fail, ok, skip, warn
from ampctl.spec import OBJECT_STORE_SECRET

STORE_KEY = "federated-store.yaml"


def secret_name(facts: Facts) -> str:
    return facts.store_secret or OBJECT_STORE_SECRET


def store_config(facts: Facts) -> tuple[dict[str, Any] | None, str]:
    """(the parsed `config` of federated-store.yaml, or None with what is wrong)."""
    import yaml

    name = secret_name(facts)
    secret = facts.kube.read("secret", facts.namespace, name)
    if secret is None:
        return None, f"secret {facts.namespace}/{name} not found"
    data = secret.get("data") or {}
    if STORE_KEY not in data:
        keys = ", ".join(sorted(data)) or "none"
        return None, f"secret {facts.namespace}/{name} has no key {STORE_KEY} (keys: {keys})"
    try:
        parsed = yaml.safe_load(base64.b64decode(data[STORE_KEY]).decode())
    except (ValueError, yaml.YAMLError):
        return None, f"{STORE_KEY} in secret {facts.namespace}/{name} is not valid YAML"
    if not isinstance(parsed, dict) or str(parsed.get("type", "")).upper() != "S3":
        return None, f"{STORE_KEY} in secret {facts.namespace}/{name} is not an S3 store (type S3)"
    config = parsed.get("config")
    if not isinstance(config, dict) or not config.get("bucket"):
        return None, f"{STORE_KEY} in secret {facts.namespace}/{name} names no bucket"
    return config, ""


def expected_bucket(facts: Facts) -> tuple[str, str]:
    """(bucket, where that came from): --bucket, the fleet's shape, the cluster's S3 policy, else the default name."""
    if facts.options.bucket:
        return facts.options.bucket, "--bucket"
    shape = facts.fleet_shape() if facts.known_workspace_id() else None
    if shape is not None and shape.bucket and shape.source == "recorded":
        return shape.bucket, "the fleet's shape"
    from_policy = _policy_bucket(facts)
    if from_policy:
        return from_policy, "the cluster's S3 policy"
    from ampctl.naming import default_bucket

    return default_bucket(facts.account, facts.region), "ampctl's default"


def bucket(facts: Facts) -> tuple[str, str]:
    """The bucket Kubecost uses: the Secret's when it can be read, else the expected one."""
    config, _ = facts.once("store-config", lambda: store_config(facts))
    if config is not None:
        return str(config["bucket"]), "the object-store Secret"
    return expected_bucket(facts)


def _policy_bucket(facts: Facts) -> str | None:
    from ampctl.aws.iam import get_policy, policy_document
    from ampctl.documents import parse_document
    from ampctl.naming import policy_arn, s3_policy_name

    iam = facts.client("iam")
    arn = policy_arn(facts.account, s3_policy_name(facts.cluster))
    policy = get_policy(iam, arn)
    if policy is None:
        return None
    document = parse_document(policy_document(iam, arn, str(policy["DefaultVersionId"])))
    for statement in document.get("Statement") or []:
        resources = statement.get("Resource")
        for resource in resources if isinstance(resources, list) else [resources]:
            text = str(resource or "")
            if text.startswith("arn:aws:s3:::") and "/" not in text:
                return text[len("arn:aws:s3:::") :]
    return None


def _location(facts: Facts, name: str) -> str | None:
    def read() -> str | None:
        from botocore.exceptions import ClientError

        try:
            got = facts.client("s3").get_bucket_location(Bucket=name)
        except ClientError:
            return None
        return str(got.get("LocationConstraint") or "us-east-1")

    found: str | None = facts.once(f"location:{name}", read)
    return found


def secret(facts: Facts) -> Result:
    if not facts.federated:
        return skip("not federated (the values name no object-store Secret)")
    config, problem = facts.once("store-config", lambda: store_config(facts))
    if config is None:
        return fail(f"{problem}: cost-model cannot save or read federated ETL", f"{facts.repair()} re-creates it")
    named, region = str(config["bucket"]), str(config.get("region") or "")
    want, source = expected_bucket(facts)
    if named != want:
        return fail(f"{STORE_KEY} names bucket {named}, {source} says {want}", f"{facts.repair()} rewrites the Secret")
    location = _location(facts, named) or facts.region
    if region != location:
        return fail(
            f"{STORE_KEY} gives region {region or '(none)'} for bucket {named}, which is in {location}",
            f"{facts.repair()} rewrites the Secret",
        )
    return ok(f"{facts.namespace}/{secret_name(facts)}: bucket {named}, region {region}")


def reachable(facts: Facts) -> Result:
    from botocore.exceptions import ClientError

    if not facts.federated:
        return skip("not federated")
    name, source = bucket(facts)
    try:
        facts.client("s3").head_bucket(Bucket=name)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code in {"404", "NoSuchBucket", "NotFound"}:
            return fail(f"bucket {name} ({source}) does not exist", "`ampctl bootstrap --federated` creates it")
        return fail(f"bucket {name} ({source}): {code}", "check the bucket's owner and policy")
    return ok(f"{name} reachable ({_location(facts, name) or 'unknown region'})")


def _save_failures(facts: Facts) -> list[tuple[datetime | None, str]]:
    from ampctl.doctor import logs

    found = logs.read(facts, logs.SOURCES["cost-model"], logs.is_save_failure)
    return found[1] if found else []


def objects(facts: Facts) -> Result:
    from ampctl.doctor.logs import excerpt
    from ampctl.doctor.options import format_age

    if not facts.federated:
        return skip("not federated")
    name, _ = bucket(facts)
    cluster_id = str(facts.value("prometheus.server.global.external_labels.cluster_id"))
    prefix = f"federated/{cluster_id}/"
    listing = facts.client("s3").list_objects_v2(Bucket=name, Prefix=prefix, MaxKeys=1000)
    found = listing.get("Contents") or []
    failures = _save_failures(facts)
    fix = (
        "cost-model cannot write to the bucket: check the cost-analyzer role's S3 policy, the bucket policy "
        "and the object-store Secret"
    )
    newest = max((o["LastModified"] for o in found), default=None)
    if failures:
        stamp, line = failures[-1]
        if newest is None or stamp is None or stamp > newest:
            held = "nothing" if newest is None else f"newest object {format_age(_age(newest))} old"
            return fail(f"{held} under s3://{name}/{prefix}; cost-model: {excerpt(line)}", fix)
    if newest is None:
        return warn(
            f"nothing under s3://{name}/{prefix} yet",
            "the first ETL build comes some minutes after install; if it stays empty, see logs.cost-model",
        )
    more = "+" if listing.get("IsTruncated") else ""
    return ok(f"{len(found)}{more} object(s) under s3://{name}/{prefix}, newest {format_age(_age(newest))} old")


def _age(when: datetime) -> float:
    return (datetime.now(timezone.utc) - when).total_seconds()


SPECS = [
    CheckSpec("federated.secret", "federated", "Object-store Secret", secret, ("release.status", "identity.account")),
    CheckSpec(
        "federated.bucket", "federated", "ETL bucket reachable", reachable, ("release.status", "identity.account")
    ),
    CheckSpec(
        "federated.objects",
        "federated",
        "ETL objects for the cluster",
        objects,
        ("federated.bucket",),
        (
            "federated.secret",
            "irsa.oidc-provider",
            "irsa.cost-analyzer.role",
            "irsa.cost-analyzer.policies",
            "irsa.cost-analyzer.annotation",
        ),
    ),  # fmt: skip
]
