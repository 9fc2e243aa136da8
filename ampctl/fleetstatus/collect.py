"""Gather each cluster's release, roles, ServiceAccounts, ETL objects and last sample age, all at once.

Every cluster, and inside each cluster every part, is one task on the command's one bounded pool.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from ampctl.chartkeys import object_store_secret
from ampctl.errors import AmpctlError
from ampctl.fleetshape import FleetShape, mode_of
from ampctl.fleetstatus.model import ClusterStatus
from ampctl.gitops.owner import cost_analyzer_name, owner
from ampctl.plan.graph import Graph
from ampctl.spec import DEFAULT_ALIAS, DEFAULT_NAMESPACE, DEFAULT_RELEASE

if TYPE_CHECKING:
    from ampctl.aws.session import AwsSession
    from ampctl.target import Target
    from ampctl.upgrade.record import Progress

METRIC = "container_memory_working_set_bytes"
LABEL = "cluster_id"


@dataclass(frozen=True)
class Scope:
    targets: list[Target]
    alias: str = DEFAULT_ALIAS
    workspace_id: str | None = None
    workspace_role_arn: str | None = None
    namespace: str = DEFAULT_NAMESPACE
    release: str = DEFAULT_RELEASE
    bucket: str | None = None
    stale_after: float = 300.0
    helm: str | None = None


def _guard(status: ClusterStatus, fn: Callable[[], None]) -> None:
    from ampctl.translate import translate

    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - recorded per cluster, unknown ones re-raised
        error = translate(exc)
        if error is None:
            raise
        status.errors.append(error.message)


def _off_amp(line: str | None) -> bool:
    """The recorded chart line keeps its data in the bucket, not on AMP (3.x)."""
    from ampctl.versions import recorded

    found = recorded(line)
    return found is not None and not found.on_amp


def _components(scope: Scope, target: Target, shape: FleetShape | None, line: str | None) -> dict[str, str]:
    """The components that have a role, and their ServiceAccounts: those of `line` (its `service_accounts`), else, with
    no line known, the AMP lines' pair."""
    from ampctl.naming import COMPONENTS
    from ampctl.versions import recorded

    found = recorded(line)
    if found is not None:
        return found.service_accounts(shape is not None and shape.primary == target.cluster, scope.release)
    return dict(COMPONENTS)


def _cluster(
    scope: Scope, aws: AwsSession, target: Target, status: ClusterStatus, shape: FleetShape | None, own_line: bool
) -> list[Callable[[], None]]:
    """The independent reads of one cluster, each recording into `status`; its roles and ServiceAccounts are those of
    the fleet's line, or with `own_line` (an upgrade between lines under way) of the cluster's own line, read after
    its release."""
    from ampctl.aws import iam as iamapi
    from ampctl.clients import ClusterClients
    from ampctl.naming import ROLE_ARN_ANNOTATION, default_bucket, role_name

    components = _components(scope, target, shape, shape.chart_line if shape is not None else None)
    iam = aws.client("iam")
    clients = ClusterClients(target, aws, scope.helm)

    def roles() -> None:
        from ampctl.pool import together

        def managed(component: str) -> bool:
            name = role_name(target.cluster, component)
            role = iamapi.get_role(iam, name)
            if role is None:
                return False
            return iamapi.is_managed(iamapi.tags_of_role(iam, role))

        for component, found in zip(components, together([partial(managed, c) for c in components]), strict=True):
            status.roles[component] = found

    def kube() -> None:
        """A ServiceAccount is right when it reaches its role: by the IRSA annotation, else by an association."""
        from botocore.exceptions import ClientError

        from ampctl.aws import eks as eksapi
        from ampctl.aws.errors import error_code

        for component, sa in components.items():
            role = "/" + role_name(target.cluster, component)
            obj = clients.kube.read("service_account", scope.namespace, sa)
            annotation = str(((obj or {}).get("metadata", {}).get("annotations") or {}).get(ROLE_ARN_ANNOTATION, ""))
            if obj is not None and not annotation:
                try:
                    found = eksapi.associations(aws.client("eks"), target.cluster, scope.namespace, sa)
                except ClientError as exc:  # an IRSA-only identity may not list associations: it has none
                    if error_code(exc) not in {"AccessDeniedException", "AccessDenied"}:
                        raise
                    found = []
                status.service_accounts[component] = any(str(a.get("roleArn", "")).endswith(role) for a in found)
                status.identity = "pod-identity" if found else status.identity
            else:
                status.service_accounts[component] = annotation.endswith(role)
                status.identity = "irsa" if annotation else status.identity

    def release() -> None:
        found = clients.read_release(scope.release, scope.namespace)
        status.release_status = found.status if found else "missing"
        status.chart_version = found.chart_version if found else None
        deployment = clients.kube.read("deployment", scope.namespace, cost_analyzer_name(scope.release), group="apps")
        status.owner = owner((deployment or {}).get("metadata") or {}, scope.release)
        if found is not None:
            from ampctl.versions import line_or_none

            line = line_or_none(found.chart_version)  # a version ampctl does not list: its nearest line's
            status.line = line.family if line is not None else None
            status.federated = object_store_secret(found.values) is not None
            status.mode = mode_of(status.federated)

    def etl() -> None:
        if status.federated:
            bucket = scope.bucket or default_bucket(aws.account(), target.region)
            prefix = f"federated/{target.cluster}/"
            if _off_amp(status.line):  # no AMP: the finops-agent's newest write is the cluster's last sample
                from ampctl.aws.s3 import newest

                stamp, status.etl_objects = newest(aws.client("s3"), bucket, prefix)
                status.last_sample_age = _age(stamp) if stamp is not None else None
                return
            listed = aws.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1000)
            status.etl_objects = int(listed.get("KeyCount", 0))

    def release_then_etl() -> None:  # the release says whether the cluster is federated
        _guard(status, release)
        _guard(status, etl)

    def release_then_identities() -> None:  # the release says the cluster's line, the line its roles
        nonlocal components
        release_then_etl()
        components = _components(scope, target, shape, status.line)
        _guard(status, roles)
        _guard(status, kube)

    if own_line:
        return [release_then_identities]
    return [partial(_guard, status, roles), partial(_guard, status, kube), release_then_etl]


def _age(when: Any) -> float:
    from datetime import datetime, timezone

    return (datetime.now(timezone.utc) - when).total_seconds()


Recorded = tuple[str | None, FleetShape | None, "Progress | None", str | None]


def workspace(aws: AwsSession, scope: Scope) -> Recorded:
    """(the workspace id, the fleet's shape recorded on it or inferred, the upgrade recorded beside the shape, where
    that upgrade is recorded). A 3.x fleet's shape and upgrade are on its bucket; an AMP fleet's upgrade to 3.x stays
    on the workspace (ampctl.upgrade.record), and its shape is then the bucket's once the bucket records one."""
    from ampctl.aws import amp
    from ampctl.fleetshape import read, workspace_tags
    from ampctl.kubecost3.shape import read as read_bucket
    from ampctl.naming import default_bucket
    from ampctl.upgrade.record import from_tags as recorded

    client = aws.assumed(scope.workspace_role_arn).client("amp")
    found = amp.describe(client, scope.workspace_id) if scope.workspace_id else None
    if not scope.workspace_id:
        by_alias = amp.one_by_alias(client, scope.alias, aws.region)
        found = amp.describe(client, str(by_alias["workspaceId"])) if by_alias else None
    ws_id = scope.workspace_id or (str(found["workspaceId"]) if found else None)
    if found is None:
        bucket = scope.bucket or default_bucket(aws.account(), aws.region)
        _, tags, on_bucket = read_bucket(aws, bucket)
        if on_bucket is not None and on_bucket.off_amp:
            progress = recorded(tags)
            return None, on_bucket, progress, f"bucket {bucket}" if progress else None
        return ws_id, None, None, None
    shape = read(aws, found, bucket=scope.bucket, fleet=None)
    progress = recorded(workspace_tags(found))
    if progress is not None and progress.to_3x and shape is not None:  # the bucket's read only then
        bucket = scope.bucket or shape.bucket or default_bucket(aws.account(), aws.region)
        _, tags, on_bucket = read_bucket(aws, bucket)
        if on_bucket is not None and on_bucket.off_amp:
            shape = on_bucket
            # Once the move is done, a later upgrade of the 3.x fleet is recorded on its bucket (upgrade.fleetstate).
            later = recorded(tags) if not progress.under_way else None
            if later is not None:
                return ws_id, shape, later, f"bucket {bucket}"
    return ws_id, shape, progress, f"workspace {ws_id}" if progress else None


def collect(scope: Scope, aws_for: Callable[[str], AwsSession], region: str, parallel: int) -> dict[str, Any]:
    from ampctl import warm
    from ampctl.aws.ampquery import last_samples
    from ampctl.fleetstatus import upgrade

    warm.start(warm.KUBERNETES)
    aws = aws_for(region)
    ws, shape, progress, holder = workspace(aws, scope)
    own_line = upgrade.crosses_lines(progress)
    if shape is not None and shape.bucket and not scope.bucket:
        scope = dataclasses.replace(scope, bucket=shape.bucket)
    statuses = {t.cluster: ClusterStatus(t.cluster, t.context) for t in scope.targets}
    ages: dict[str, float] = {}
    problems: list[str] = []

    def samples() -> None:
        try:
            if ws:
                ages.update(last_samples(aws.assumed(scope.workspace_role_arn), region, ws, METRIC, LABEL))
        except AmpctlError as exc:
            problems.append(exc.message)

    def one(target: Target) -> None:
        for part in _cluster(scope, aws_for(target.region), target, statuses[target.cluster], shape, own_line):
            graph.add(part, group=target.cluster)

    graph = Graph(groups=parallel)
    graph.add(samples)
    for target in scope.targets:
        graph.add(partial(one, target), group=target.cluster)
    graph.run()
    for cluster_id in sorted(set(ages) - set(statuses)):
        statuses[cluster_id] = ClusterStatus(cluster_id, in_fleet=False)
    for status in statuses.values():
        if shape is not None and status.mode is not None:
            status.differs = upgrade.differences(shape, status, progress)
        upgrade.judge(status, progress)
        if not _off_amp(status.line):  # a 3.x cluster's last sample is its newest write to the bucket, not AMP's
            status.last_sample_age = ages.get(status.cluster, status.last_sample_age)
        if not status.in_fleet:
            status.state = "not in fleet"
        elif status.last_sample_age is None:
            status.state = "no data"
        else:
            status.state = "stale" if status.last_sample_age > scope.stale_after else "reporting"
    fleet = shape.to_json() if shape is not None else None
    clusters = list(statuses.values())
    return {"workspace_id": ws, "region": region, "fleet": fleet, "upgrade": upgrade.as_json(progress, holder),
            "errors": problems, "clusters": clusters}  # fmt: skip
