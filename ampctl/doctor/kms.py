"""SSE-KMS on the federated bucket: whether Kubecost's role may use the bucket's KMS key, by its own policies and by
the key policy.

S3 calls KMS for its caller: under a customer managed key, PutObject needs kms:GenerateDataKey and GetObject
kms:Decrypt (S3 User Guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)"). KMS reads the key policy
first: IAM policies count only when it allows the account principal, as the default key policy's "Enable IAM User
Permissions" statement does (KMS Developer Guide, "Default key policy"); otherwise it must name the role itself.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.model import Result, fail, ok, skip, warn
from ampctl.documents import KMS_ACTIONS

GUIDE = '(README: "KMS keys")'


def bucket_key(facts: Facts, bucket: str) -> tuple[bool, str | None]:
    from ampctl.aws import s3 as s3api

    found: tuple[bool, str | None] = facts.once(
        f"kms:{bucket}", lambda: s3api.bucket_kms_key(facts.client("s3"), bucket)
    )
    return found


def _listed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _names(statement: dict[str, Any], who: set[str]) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    named = _listed(principal.get("AWS", [])) if isinstance(principal, dict) else []
    return bool(who & set(named)) or "*" in named


def key_policy_verdict(policy: dict[str, Any], role_arn: str, account: str, root: str) -> tuple[list[str], bool]:
    """(the actions the key policy leaves the role without, whether it leaves them to IAM policies), by its
    statements' principals and actions (conditions are not judged)."""
    statements = policy.get("Statement") or []
    statements = [statements] if isinstance(statements, dict) else statements

    def allows(action: str, who: set[str]) -> str:
        verdict = ""
        for st in statements:
            acts = _listed(st.get("Action", []))
            if _names(st, who) and any(fnmatchcase(action.lower(), a.lower()) for a in acts):
                if st.get("Effect") == "Deny":
                    return "Deny"
                verdict = verdict or ("Allow" if st.get("Effect") == "Allow" else "")
        return verdict

    to_iam = all(allows(a, {root, account}) == "Allow" for a in KMS_ACTIONS)
    missing = [a for a in KMS_ACTIONS if allows(a, {role_arn}) != "Allow" and not to_iam]
    missing += [a for a in KMS_ACTIONS if allows(a, {role_arn, root, account}) == "Deny" and a not in missing]
    return missing, to_iam


def key(facts: Facts, findings: Findings) -> Result:
    from ampctl import validate
    from ampctl.doctor.irsa import role_grants, role_in_use
    from ampctl.endpoints import arn
    from ampctl.errors import AmpctlError
    from ampctl.naming import policy_arn, role_arn, s3_policy_name

    if not facts.federated:
        return skip("not federated")
    bucket, _ = facts.bucket(lambda: findings.fleet_shape(facts))
    exists, key_id = bucket_key(facts, bucket)
    if not exists or key_id is None:
        return ok(f"bucket {bucket}: no customer managed KMS key (SSE-S3 or aws/s3): no KMS permission needed")
    try:
        validate.kms_key(key_id)
    except AmpctlError:
        return fail(
            f"bucket {bucket}'s default encryption names KMS key {key_id!r}, not a key ARN: ampctl cannot grant it",
            f"`ampctl bootstrap --kms-key <key ARN>` on the primary puts the key's ARN there {GUIDE}",
        )
    role = role_in_use(facts, findings, "cost-analyzer")
    if facts.role(role) is None:
        return skip(f"IAM role {role} does not exist")
    policy = s3_policy_name(facts.cluster)
    lacking = [a for a in KMS_ACTIONS if not role_grants(facts, role, a, key_id)]
    if lacking:
        return fail(
            f"bucket {bucket} is encrypted with KMS key {key_id}, but role {role} has no {' or '.join(lacking)} on it: "
            "S3 answers AccessDenied to every ETL write (kms:GenerateDataKey) and read (kms:Decrypt)",
            f"{facts.repair()} adds them to policy {policy_arn(facts.account, policy, region=facts.region)}",
        )
    fields = key_id.split(":")
    if fields[3] != facts.region:
        return ok(f"{role} may use KMS key {key_id} by its IAM policy (the key policy, in {fields[3]}, not read)")
    try:
        document = facts.once(f"key-policy:{key_id}", lambda: _key_policy(facts, key_id))
    except Exception as exc:  # noqa: BLE001 - AccessDenied and the like: said, not fatal
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__))
        return warn(f"role {role} may use KMS key {key_id}; its key policy cannot be read ({code})", "grant "
                    "kms:GetKeyPolicy on the key to check it")  # fmt: skip
    arn_of_role = role_arn(facts.account, role, region=facts.region)
    root = arn("iam", "root", region=facts.region, account=facts.account)
    missing, to_iam = key_policy_verdict(document, arn_of_role, facts.account, root)
    if missing:
        return fail(
            f"the key policy of {key_id} lets neither {role} nor IAM policies (no statement for {root}) use "
            f"{' or '.join(missing)}: S3 answers AccessDenied to every ETL write and read",
            f'add the default key policy\'s "Enable IAM User Permissions" statement (Principal {root}, kms:*), or '
            f"allow {arn_of_role} kms:GenerateDataKey and kms:Decrypt in the key policy {GUIDE}",
        )
    how = "through its IAM policy (the key policy defers to IAM)" if to_iam else "named in the key policy"
    return ok(f"{role} may use KMS key {key_id} {how}")


def _key_policy(facts: Facts, key_id: str) -> dict[str, Any]:
    from ampctl.documents import parse_document

    got = facts.client("kms").get_key_policy(KeyId=key_id, PolicyName="default")
    return dict(parse_document(got["Policy"]))


SPECS = [CheckSpec("federated.kms-key", "federated", "Bucket's KMS key usable by Kubecost", key, ("federated.bucket",))]
