"""Federated ETL: the object-store Secret (parsed, never shown), the bucket, and the cluster's ETL objects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from typing import Any

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.model import Result, Status, fail, ok, skip, warn
from ampctl.doctor.store import STORE_KEY


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


def _head(facts: Facts, name: str) -> str | None:
    """None when the bucket answers HEAD, else the error code."""

    def read() -> str | None:
        from botocore.exceptions import ClientError

        try:
            facts.client("s3").head_bucket(Bucket=name)
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])
        return None

    found: str | None = facts.once(f"head:{name}", read)
    return found


def _prefix(facts: Facts) -> str:
    return f"federated/{facts.value('prometheus.server.global.external_labels.cluster_id')}/"


def _listing(facts: Facts, name: str) -> tuple[list[dict[str, Any]], bool]:
    """The cluster's ETL objects in the bucket (the first 1,000), and whether there are more."""
    prefix = _prefix(facts)

    def read() -> tuple[list[dict[str, Any]], bool]:
        listing = facts.client("s3").list_objects_v2(Bucket=name, Prefix=prefix, MaxKeys=1000)
        return list(listing.get("Contents") or []), bool(listing.get("IsTruncated"))

    found: tuple[list[dict[str, Any]], bool] = facts.once(f"objects:{name}:{prefix}", read)
    return found


def prefetch(facts: Facts) -> list[Callable[[], object]]:
    """The reads of the bucket the object-store Secret names, for the checks below to find made."""
    config, _ = facts.store_config()
    if config is None or not facts.federated:
        return []
    name = str(config["bucket"])
    return [partial(_location, facts, name), partial(_head, facts, name), partial(_listing, facts, name)]


def secret(facts: Facts, findings: Findings) -> Result:
    if not facts.federated:
        return skip("not federated (the values name no object-store Secret)")
    config, problem = facts.store_config()
    if config is None:
        return fail(f"{problem}: cost-model cannot save or read federated ETL", f"{facts.repair()} re-creates it")
    named, region = str(config["bucket"]), str(config.get("region") or "")
    want, source = facts.expected_bucket(lambda: findings.fleet_shape(facts))
    if named != want:
        return fail(f"{STORE_KEY} names bucket {named}, {source} says {want}", f"{facts.repair()} rewrites the Secret")
    location = _location(facts, named) or facts.region
    if region != location:
        return fail(
            f"{STORE_KEY} gives region {region or '(none)'} for bucket {named}, which is in {location}",
            f"{facts.repair()} rewrites the Secret",
        )
    return ok(f"{facts.namespace}/{facts.store_secret_name}: bucket {named}, region {region}")


def reachable(facts: Facts, findings: Findings) -> Result:
    if not facts.federated:
        return skip("not federated")
    name, source = facts.bucket(lambda: findings.fleet_shape(facts))
    code = _head(facts, name)
    if code in {"404", "NoSuchBucket", "NotFound"}:
        return fail(f"bucket {name} ({source}) does not exist", "`ampctl bootstrap --federated` creates it")
    if code is not None:
        return fail(f"bucket {name} ({source}): {code}", "check the bucket's owner and policy")
    return ok(f"{name} reachable ({_location(facts, name) or 'unknown region'})")


def _save_failures(facts: Facts) -> list[tuple[datetime | None, str]]:
    from ampctl.doctor import logs

    found = logs.read(facts, logs.SOURCES["cost-model"], logs.is_save_failure)
    return found[1] if found else []


def objects(facts: Facts, findings: Findings) -> Result:
    from ampctl.doctor.logs import excerpt
    from ampctl.doctor.options import format_age

    if not facts.federated:
        return skip("not federated")
    name, _ = facts.bucket(lambda: findings.fleet_shape(facts))
    prefix = _prefix(facts)
    found, truncated = _listing(facts, name)
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
    more = "+" if truncated else ""
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
            "federated.kms-key",
            "irsa.oidc-provider",
            "irsa.cost-analyzer.role",
            "irsa.cost-analyzer.policies",
            "irsa.cost-analyzer.annotation",
            "pod-identity.agent",
            "pod-identity.cost-analyzer.association",
            "pod-identity.cost-analyzer.trust",
        ),
        (Status.WARN,),  # nothing yet: the first ETL build comes minutes after install
    ),  # fmt: skip
]
