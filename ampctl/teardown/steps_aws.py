"""Teardown steps in AWS: the cluster's roles (IRSA or EKS Pod Identity) and those in a workspace account, the
per-cluster S3 policy, an OIDC provider ampctl created, and (on request) the workspace and the bucket."""

from __future__ import annotations

from typing import Any

from ampctl.aws import iam as iamapi
from ampctl.errors import AmpctlError
from ampctl.plan.step import Change, Step
from ampctl.teardown.run import TeardownRun

NOT_OURS = "not tagged managed-by=ampctl: left alone"


class DeleteClusterRole(Step[TeardownRun]):
    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("roles",)

    def __init__(self, run: TeardownRun, component: str) -> None:
        from ampctl.naming import role_name

        self.name = role_name(run.cluster, component)
        self.title = f"IAM role {self.name}"

    def _iam(self, run: TeardownRun) -> Any:
        return run.client("iam")

    def check(self, run: TeardownRun) -> Change:
        iam = self._iam(run)
        if iamapi.get_role(iam, self.name) is None:
            return Change.unchanged("absent")
        if not iamapi.is_managed(iamapi.role_tags(iam, self.name)):
            run.leave(self.title)
            return Change.unchanged(NOT_OURS)
        if run.workspace_account is None:
            chained = _chained_to(iam, self.name)
            if chained:
                run.cannot_reach(f"IAM role {chained} (assumed by {self.name})")
        return Change.delete()

    def apply(self, run: TeardownRun, change: Change) -> None:
        from botocore.exceptions import ClientError

        from ampctl.aws.errors import GONE, done_if_gone, error_code

        iam = self._iam(run)  # inline policies go first: the cluster role's sts:AssumeRole policy among them
        try:
            for arn in iamapi.attached_policy_arns(iam, self.name):
                done_if_gone(iam.detach_role_policy, RoleName=self.name, PolicyArn=arn)
            for page in iam.get_paginator("list_role_policies").paginate(RoleName=self.name):
                for policy in page["PolicyNames"]:
                    done_if_gone(iam.delete_role_policy, RoleName=self.name, PolicyName=policy)
            for page in iam.get_paginator("list_instance_profiles_for_role").paginate(RoleName=self.name):
                for profile in page["InstanceProfiles"]:
                    done_if_gone(
                        iam.remove_role_from_instance_profile,
                        InstanceProfileName=profile["InstanceProfileName"],
                        RoleName=self.name,
                    )
        except ClientError as exc:
            if error_code(exc) not in GONE:
                raise
        done_if_gone(iam.delete_role, RoleName=self.name)


def _chained_to(iam: Any, role: str) -> str | None:
    """The role in the workspace's account a cluster role may assume (its ampctl assume policy), if any."""
    from ampctl.documents import parse_document
    from ampctl.naming import ASSUME_POLICY

    try:
        document = iam.get_role_policy(RoleName=role, PolicyName=ASSUME_POLICY)["PolicyDocument"]
    except iam.exceptions.NoSuchEntityException:
        return None
    targets = [str(s.get("Resource", "")) for s in parse_document(document).get("Statement", [])]
    return next((t for t in targets if t.startswith("arn:")), None)


class DeleteWorkspaceRole(DeleteClusterRole):
    """The role in the workspace's account that a cluster role assumes (its trust entry goes with it)."""

    def __init__(self, run: TeardownRun, component: str) -> None:
        from ampctl.naming import workspace_role_name

        self.name = workspace_role_name(run.cluster, component)
        self.title = f"IAM role {self.name} in workspace account {run.workspace_account}"

    def _iam(self, run: TeardownRun) -> Any:
        return run.workspace_client("iam")


class DeleteS3Policy(Step[TeardownRun]):
    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("roles",)
    gives: tuple[str, ...] = ("s3-policy",)

    def __init__(self, run: TeardownRun) -> None:
        from ampctl.naming import policy_arn, s3_policy_name

        self.arn = policy_arn(run.account, s3_policy_name(run.cluster), region=run.region)
        self.title = f"IAM policy {s3_policy_name(run.cluster)}"

    def check(self, run: TeardownRun) -> Change:
        iam = run.client("iam")
        if iamapi.get_policy(iam, self.arn) is None:
            return Change.unchanged("absent")
        if not iamapi.is_managed(iamapi.policy_tags(iam, self.arn)):
            run.leave(self.title)
            return Change.unchanged(NOT_OURS)
        return Change.delete()

    def apply(self, run: TeardownRun, change: Change) -> None:
        from botocore.exceptions import ClientError

        from ampctl.aws.errors import GONE, done_if_gone, error_code

        iam = run.client("iam")
        try:
            for page in iam.get_paginator("list_entities_for_policy").paginate(PolicyArn=self.arn):
                for role in page.get("PolicyRoles", []):
                    done_if_gone(iam.detach_role_policy, RoleName=role["RoleName"], PolicyArn=self.arn)
                for user in page.get("PolicyUsers", []):
                    done_if_gone(iam.detach_user_policy, UserName=user["UserName"], PolicyArn=self.arn)
                for group in page.get("PolicyGroups", []):
                    done_if_gone(iam.detach_group_policy, GroupName=group["GroupName"], PolicyArn=self.arn)
            for version in iam.list_policy_versions(PolicyArn=self.arn)["Versions"]:
                if not version["IsDefaultVersion"]:
                    done_if_gone(iam.delete_policy_version, PolicyArn=self.arn, VersionId=version["VersionId"])
        except ClientError as exc:
            if error_code(exc) not in GONE:
                raise
        done_if_gone(iam.delete_policy, PolicyArn=self.arn)


class DeleteOidcProvider(Step[TeardownRun]):
    """Only a provider ampctl created (--create-oidc-provider) and tagged for this cluster."""

    needs: tuple[str, ...] | None = ()
    after: tuple[str, ...] = ("roles",)

    def __init__(self, run: TeardownRun) -> None:
        self.title = f"IAM OIDC provider of cluster {run.cluster} (if ampctl created it)"

    def _arn(self, run: TeardownRun) -> str | None:
        from ampctl.endpoints import oidc_provider_arn

        cluster = run.client("eks").describe_cluster(name=run.cluster)["cluster"]
        issuer = cluster.get("identity", {}).get("oidc", {}).get("issuer")
        return oidc_provider_arn(run.account, issuer, region=run.region) if issuer else None

    def check(self, run: TeardownRun) -> Change:
        from ampctl.naming import CLUSTER_TAG

        iam = run.client("iam")
        arn = self._arn(run)
        if arn is None or not iamapi.oidc_provider_exists(iam, arn):
            return Change.unchanged("absent")
        tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn).get("Tags", [])
        if not iamapi.is_managed(tags) or {"Key": CLUSTER_TAG, "Value": run.cluster} not in tags:
            return Change.unchanged("not created by ampctl: kept")
        return Change.delete(arn)

    def apply(self, run: TeardownRun, change: Change) -> None:
        from ampctl.aws.errors import done_if_gone

        done_if_gone(run.client("iam").delete_open_id_connect_provider, OpenIDConnectProviderArn=change.detail)


class DeleteWorkspace(Step[TeardownRun]):
    needs: tuple[str, ...] | None = ()

    def __init__(self, run: TeardownRun, alias: str, workspace_id: str | None) -> None:
        self.alias, self.workspace_id = alias, workspace_id
        self.title = f"AMP workspace {workspace_id or alias}"

    def check(self, run: TeardownRun) -> Change:
        from ampctl.aws import amp

        client = run.workspace_client("amp")
        if self.workspace_id:
            ws = amp.describe(client, self.workspace_id)
        else:
            ws = amp.one_by_alias(client, self.alias, run.aws.region)
        if ws is None or amp.status_of(ws) == "DELETING":
            return Change.unchanged("absent")
        if (ws.get("tags") or {}).get("managed-by") != "ampctl":
            run.leave(self.title)
            return Change.unchanged(NOT_OURS)
        return Change.delete(str(ws["workspaceId"]))

    def apply(self, run: TeardownRun, change: Change) -> None:
        from ampctl.aws import amp

        amp.delete(run.workspace_client("amp").delete_workspace, workspaceId=change.detail)


class DeleteBucket(Step[TeardownRun]):
    needs: tuple[str, ...] | None = ()

    def __init__(self, run: TeardownRun, bucket: str, force: bool) -> None:
        self.bucket, self.force = bucket, force
        self.title = f"S3 bucket {bucket}"

    def check(self, run: TeardownRun) -> Change:
        from ampctl.aws import s3 as s3api
        from ampctl.naming import MANAGED_BY_TAG

        s3 = run.client("s3")
        if s3api.bucket_state(s3, self.bucket) == "missing":
            return Change.unchanged("absent")
        if s3api.tags(s3, self.bucket).get(MANAGED_BY_TAG[0]) != MANAGED_BY_TAG[1]:
            run.leave(self.title)
            return Change.unchanged(NOT_OURS)
        held = int(s3.list_objects_v2(Bucket=self.bucket, MaxKeys=1000).get("KeyCount", 0))
        if held and not self.force:
            raise AmpctlError(
                f"S3 bucket {self.bucket} holds {held}{'+' if held >= 1000 else ''} object(s)",
                "pass --force to delete them with the bucket, or leave out --delete-bucket",
            )
        return Change.delete(f"and its {held}{'+' if held >= 1000 else ''} object(s)" if held else "empty")

    def apply(self, run: TeardownRun, change: Change) -> None:
        import time

        from ampctl.aws import s3 as s3api

        s3api.delete_bucket(run.client("s3"), self.bucket, force=self.force, sleep=time.sleep)
