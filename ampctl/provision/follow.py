"""A cluster's request, made to follow its fleet's shape (recorded on the workspace by the primary)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ampctl.fleetshape import FleetShape, mode_of, refusal
from ampctl.provision.request import ProvisionRequest

if TYPE_CHECKING:
    from ampctl.aws.session import AwsSession

SHAPED = ("federated", "bucket", "chart_version", "namespace", "release", "identity")
FLAG = {"federated": "--federated/--no-federated", "bucket": "--bucket", "chart_version": "--kubecost-version"}


def find_workspace(aws: AwsSession, request: ProvisionRequest) -> dict[str, Any] | None:
    from ampctl.aws import amp as ampapi

    amp = aws.assumed(request.workspace_role_arn).client("amp")
    if request.workspace_id:
        return ampapi.describe(amp, request.workspace_id)
    return ampapi.one_by_alias(amp, request.alias, aws.region)  # a summary: id, ARN, status and tags


def conflicts(request: ProvisionRequest, shape: FleetShape, cluster: str) -> list[str]:
    """The user's choices that contradict the shape."""
    from ampctl.versions import chart_line

    found = []
    if "federated" in request.given and request.federated != shape.federated:
        found.append(f"{FLAG['federated']} asks for {mode_of(request.federated)}")
    if shape.federated and "bucket" in request.given and shape.bucket and request.bucket != shape.bucket:
        found.append(f"--bucket asks for {request.bucket}")
    if "chart_version" in request.given and shape.chart_line:
        line = chart_line(request.chart_version).family
        if line != shape.chart_line:
            found.append(f"--kubecost-version {request.chart_version} is on chart line {line}")
    if "identity" in request.given and request.identity != shape.identity:
        found.append(f"--identity asks for {request.identity}")
    if shape.gitops and not request.no_helm:
        found.append("this run would install the helm release, which the fleet's GitOps engine owns (add --no-helm)")
    if request.primary and shape.primary and shape.primary != cluster:
        found.append(f"its primary is {shape.primary}, not {cluster}")
    return found


def follow(request: ProvisionRequest, shape: FleetShape, cluster: str, workspace: str) -> ProvisionRequest:
    """Settings not chosen take the shape's; a choice that contradicts it is refused unless overridden."""
    clash = conflicts(request, shape, cluster)
    if clash and not request.override_shape:
        raise refusal(shape, clash, workspace, "bootstrap" if request.primary else "add-cluster")
    followed: dict[str, Any] = {
        "federated": shape.federated, "bucket": shape.bucket, "chart_version": shape.chart_version,
        "namespace": shape.namespace, "release": shape.release, "identity": shape.identity,
    }  # fmt: skip
    changes = {
        key: value
        for key, value in followed.items()
        if key not in request.given and value is not None and (key != "bucket" or shape.federated)
    }
    followed_request = dataclasses.replace(request, **changes)
    if not followed_request.federated and "bucket" not in request.given:
        followed_request = dataclasses.replace(followed_request, bucket=None)
    return followed_request


def shape_of(request: ProvisionRequest, cluster: str) -> FleetShape:
    """The shape a primary records: its own settings."""
    return FleetShape(
        mode=mode_of(request.federated), chart_version=request.chart_version,
        bucket=request.bucket if request.federated else None, namespace=request.namespace,
        release=request.release, primary=cluster, fleet=request.fleet, identity=request.identity,
        gitops=request.no_helm,
    )  # fmt: skip


def fleet_request(
    aws: AwsSession, request: ProvisionRequest, cluster: str, workspace: dict[str, Any] | None
) -> tuple[ProvisionRequest, FleetShape | None]:
    """(the request after following the fleet's shape, the shape found) for one cluster, given its workspace
    (`find_workspace`)."""
    from ampctl.fleetshape import from_tags, read, workspace_tags
    from ampctl.kubecost3.shape import resolve

    on_3x = resolve(aws, request, workspace)  # a 3.x fleet is recorded on its bucket
    if on_3x is not None:
        return follow_3x(aws, request, cluster, *on_3x)
    shape = None
    recorded = workspace is not None and from_tags(workspace_tags(workspace)) is not None
    if workspace is not None and not recorded and request.fleet_primary is not None and not request.primary:
        from ampctl.provision.infer import from_primary

        shape = from_primary(request.fleet_primary, request)  # no record: the primary's release says
    shape = shape or read(aws, workspace, bucket=request.bucket, fleet=request.fleet)
    if shape is not None and workspace is not None:
        request = follow(request, shape, cluster, str(workspace["workspaceId"]))
        if request.federated and not request.primary and request.workspace_role_arn and shape.primary:
            check_primary_account(aws, request, shape.primary, cluster)
    request = request.with_default_bucket(aws.account(), aws.region)
    request = follow_bucket_key(aws, request, shape, workspace)
    if request.primary:
        request = dataclasses.replace(request, tags=request.tags | shape_of(request, cluster).tags())
    return request, shape


def follow_3x(
    aws: AwsSession, request: ProvisionRequest, cluster: str, bucket: str, shape: FleetShape | None
) -> tuple[ProvisionRequest, FleetShape | None]:
    """A 3.x cluster's request: the bucket's recorded shape followed (as a workspace's is), always federated."""
    from ampctl.errors import AmpctlError

    if shape is not None:
        clash = conflicts(request, shape, cluster)
        if clash and not request.override_shape:
            raise AmpctlError(
                f"the fleet of bucket {bucket} is {shape.describe()} ({shape.source}), but {'; '.join(clash)}",
                "drop the flag to follow the fleet, or add --override-fleet-shape on purpose "
                '(README: "The fleet\'s shape")',
            )
        followed: dict[str, Any] = {
            "chart_version": shape.chart_version, "namespace": shape.namespace, "release": shape.release,
            "identity": shape.identity,
        }  # fmt: skip
        request = dataclasses.replace(request, **{k: v for k, v in followed.items() if k not in request.given and v})
    request = follow_bucket_key(aws, dataclasses.replace(request, federated=True, bucket=bucket), shape, None)
    if request.primary:
        request = dataclasses.replace(request, tags=request.tags | shape_of(request, cluster).tags())
    return request, shape


def follow_bucket_key(
    aws: AwsSession, request: ProvisionRequest, shape: FleetShape | None, workspace: dict[str, Any] | None
) -> ProvisionRequest:
    """The KMS key Kubecost's roles must be granted: the one the federated bucket's default encryption names (its own
    record of it, read with GetBucketEncryption), which a cluster follows unless --kms-key chose one. A choice that
    differs from an existing fleet's bucket is refused like the other shape settings: the objects written so far stay
    encrypted under the old key, which the roles could then no longer decrypt."""
    from ampctl import validate
    from ampctl.aws import s3 as s3api
    from ampctl.errors import AmpctlError

    if not request.federated or not request.bucket:
        return request
    exists, key = s3api.bucket_kms_key(aws.client("s3"), request.bucket)
    if not exists:
        return request
    if "kms_key" in request.given:
        if key != request.kms_key and shape is not None and workspace is not None and not request.override_shape:
            held = f"KMS key {key}" if key else "no customer managed KMS key"
            clash = [f"--kms-key asks for {request.kms_key}, and bucket {request.bucket} is encrypted with {held}"]
            command = "bootstrap" if request.primary else "add-cluster"
            raise refusal(shape, clash, str(workspace["workspaceId"]), command)
        return request
    if key is None:
        return dataclasses.replace(request, kms_key=None)
    try:
        validate.kms_key(key)
    except AmpctlError as exc:
        raise AmpctlError(
            f"bucket {request.bucket}'s default encryption names KMS key {key!r}, not a key ARN: IAM policies name a "
            "KMS key by its ARN only, so ampctl cannot grant it to Kubecost's roles",
            "put the key's ARN in the bucket's default encryption (bootstrap --kms-key <key ARN> on the primary)",
        ) from exc
    return dataclasses.replace(request, kms_key=key)


def check_primary_account(aws: AwsSession, request: ProvisionRequest, primary: str, cluster: str) -> None:
    """A federated agent must be in the primary's account: the ETL bucket is there, and ampctl grants no bucket
    access across accounts. The primary's account is the one its query role in the workspace account trusts."""
    from ampctl.aws.iam import get_role
    from ampctl.documents import parse_document
    from ampctl.endpoints import account_of
    from ampctl.errors import AmpctlError
    from ampctl.naming import workspace_role_name

    role = get_role(
        aws.assumed(request.workspace_role_arn).client("iam"), workspace_role_name(primary, "cost-analyzer")
    )
    statements = parse_document((role or {}).get("AssumeRolePolicyDocument") or {}).get("Statement") or []
    trusted = [str((st.get("Principal") or {}).get("AWS", "")) for st in statements if isinstance(st, dict)]
    accounts = {account for arn in trusted if (account := account_of(arn))}
    if len(accounts) == 1 and aws.account() not in accounts:
        raise AmpctlError(
            f"{cluster} is in account {aws.account()}, but the fleet's federated primary {primary} and its ETL bucket "
            f"{request.bucket} are in account {accounts.pop()}: ampctl does not grant bucket access across accounts",
            "add federated agents from the primary's account, or this cluster as quick-start "
            "(README: 'A workspace in another account')",
        )
