"""Steps for the AMP workspace and its recording rules."""

from __future__ import annotations

from ampctl.aws import amp as ampapi
from ampctl.errors import AmpctlError
from ampctl.plan.step import Change, Step
from ampctl.provision.context import ClusterRun


def in_account(run: ClusterRun) -> str:
    """Where a workspace step acts, when that is not the cluster's account."""
    return f" in workspace account {run.workspace_account}" if run.workspace_account else ""


class EnsureWorkspace(Step[ClusterRun]):
    """Primary: find the workspace by id or alias, or create it (client token) and wait for ACTIVE."""

    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("workspace",)

    def __init__(self, run: ClusterRun) -> None:
        r = run.request
        self.title = f"use AMP workspace {r.workspace_id}" if r.workspace_id else f"AMP workspace with alias {r.alias}"
        self.title += in_account(run)

    def check(self, run: ClusterRun) -> Change:
        ws = run.found_workspace  # found by id or alias before planning
        if ws is None and run.request.workspace_id:
            raise AmpctlError(
                f"AMP workspace {run.request.workspace_id} not found in {run.region}",
                "check --workspace-id and --region, or omit it to find/create by alias",
            )
        if ws is None:
            return Change.create(f"in {run.region}")
        return self._found(run, ws)

    def _found(self, run: ClusterRun, ws: dict[str, object]) -> Change:
        status = ampapi.status_of(ws)
        if status == "CREATION_FAILED":
            raise AmpctlError(
                f"AMP workspace {ws['workspaceId']} is CREATION_FAILED",
                "delete it and re-run, or pass --workspace-id for another workspace",
            )
        run.workspace_id = str(ws["workspaceId"])
        run.workspace_arn = str(ws["arn"])
        if status != "ACTIVE":
            run.workspace_created(run.workspace_id, lambda: self._wait(run))
        return Change.unchanged(f"{run.workspace_id} ({status})")

    def _wait(self, run: ClusterRun) -> None:
        assert run.workspace_id
        ampapi.wait_active(run.workspace_client("amp"), run.workspace_id, sleep=run.sleep, progress=run.progress)

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.naming import aws_tags

        amp = run.workspace_client("amp")
        # No clientToken here: botocore makes one per call and sends the same one on each of its
        # retries, so a lost answer does not create twice, and no token outlives this command (a
        # fixed token would keep answering with a workspace deleted since). Across runs the plan's
        # alias lookup, which sees CREATING and ACTIVE workspaces, finds what an earlier one made; a
        # run that created one since the plan is settled with below (the oldest workspace is kept).
        tags = aws_tags(None, run.request.fleet) | run.request.tags  # a primary's include the fleet's shape
        created = amp.create_workspace(alias=run.request.alias, tags=tags)
        kept = ampapi.settle_alias(amp, run.request.alias, dict(created))
        run.workspace_arn = str(kept["arn"])
        run.workspace_tagged = kept["workspaceId"] == created["workspaceId"]
        run.workspace_created(str(kept["workspaceId"]), lambda: self._wait(run))


class FindWorkspace(Step[ClusterRun]):
    """Additional clusters reuse the primary's workspace: found, never created."""

    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("workspace",)

    def __init__(self, run: ClusterRun) -> None:
        r = run.request
        self.title = f"find AMP workspace {r.workspace_id or 'with alias ' + r.alias}{in_account(run)}"

    def check(self, run: ClusterRun) -> Change:
        r = run.request
        ws = run.found_workspace  # found by id or alias before planning
        if ws is None:
            raise AmpctlError(
                f"no AMP workspace {r.workspace_id or 'with alias ' + repr(r.alias)} in {run.region}{in_account(run)}",
                "run `ampctl bootstrap` on the primary cluster first, or pass --workspace-id",
            )
        if ampapi.status_of(ws) not in {"ACTIVE", "UPDATING"}:
            raise AmpctlError(
                f"AMP workspace {ws['workspaceId']} is {ampapi.status_of(ws)}",
                "wait until it is ACTIVE (see `ampctl doctor`) and re-run",
            )
        run.workspace_id = str(ws["workspaceId"])
        run.workspace_arn = str(ws["arn"])
        return Change.unchanged(run.workspace_id)

    def apply(self, run: ClusterRun, change: Change) -> None:  # pragma: no cover - never planned
        return


class EnsureRecordingRules(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ("workspace",)
    gives: tuple[str, ...] = ("rules",)

    def __init__(self, run: ClusterRun) -> None:
        from ampctl.naming import rule_namespace_name

        self.name = rule_namespace_name()
        form = "seed form" if run.request.seed_recording_rules else "current cAdvisor labels"
        self.title = f"recording rules namespace {self.name} ({form}){in_account(run)}"

    def _desired(self, run: ClusterRun) -> bytes:
        from ampctl.render.objects import recording_rules

        return recording_rules(run.request.seed_recording_rules).encode()

    def check(self, run: ClusterRun) -> Change:
        from botocore.exceptions import ClientError

        if run.workspace_id is None:
            return Change.create("in the new workspace")
        try:
            amp = run.workspace_client("amp")
            current = amp.describe_rule_groups_namespace(workspaceId=run.workspace_id, name=self.name)
            current = current["ruleGroupsNamespace"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return Change.create()
            raise
        if bytes(current.get("data", b"")) != self._desired(run):
            return Change.update("rules differ")
        return Change.unchanged()

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.naming import aws_tags

        run.wait_workspace()
        amp = run.workspace_client("amp")
        data = self._desired(run)
        if change.action.value == "create":
            from botocore.exceptions import ClientError

            try:
                amp.create_rule_groups_namespace(
                    workspaceId=run.workspace_id, name=self.name, data=data, tags=aws_tags(None, run.request.fleet)
                )
                return
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConflictException":
                    raise
        amp.put_rule_groups_namespace(workspaceId=run.workspace_id, name=self.name, data=data)
