"""Retiring AMP (teardown --retire-amp): the recording rules, the workspace (deleted when ampctl made it, else only
its ampctl tags removed), and the 2.x release's values files that ampctl wrote on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ampctl.plan.step import Change, Step
from ampctl.teardown.run import TeardownRun
from ampctl.teardown.steps_aws import NOT_OURS, DeleteWorkspace


def shared_tag_keys() -> tuple[str, ...]:
    """The tags ampctl puts on a workspace it did not make: the fleet's shape (ampctl.fleetshape) and the upgrade's
    record (ampctl.upgrade.record)."""
    from ampctl.fleetshape import TAGS as SHAPE
    from ampctl.naming import FLEET_TAG
    from ampctl.upgrade.record import TAGS

    return (*SHAPE, FLEET_TAG, *TAGS)


class DeleteRecordingRules(Step[TeardownRun]):
    """ampctl's rule groups namespace (tagged managed-by=ampctl), deleted on its own before the workspace: the AMP API
    Reference says DeleteRuleGroupsNamespace "deletes one rule groups namespace and its associated rule groups
    definition", and its DeleteWorkspace page does not say the workspace's rule groups go with it."""

    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("rules",)

    def __init__(self, run: TeardownRun, workspace_id: str) -> None:
        from ampctl.naming import rule_namespace_name

        self.workspace_id, self.name = workspace_id, rule_namespace_name()
        self.title = f"recording rules namespace {self.name} in AMP workspace {workspace_id}"

    def check(self, run: TeardownRun) -> Change:
        from botocore.exceptions import ClientError

        from ampctl.aws.errors import error_code

        try:
            found = run.workspace_client("amp").describe_rule_groups_namespace(
                workspaceId=self.workspace_id, name=self.name
            )["ruleGroupsNamespace"]
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return Change.unchanged("absent")
            raise
        # DescribeRuleGroupsNamespace returns its status and tags (botocore amp model, RuleGroupsNamespaceDescription;
        # statusCode DELETING among RuleGroupsNamespaceStatusCode's values).
        if (found.get("status") or {}).get("statusCode") == "DELETING":
            return Change.unchanged("absent (DELETING)")
        if (found.get("tags") or {}).get("managed-by") != "ampctl":
            run.leave(self.title)
            return Change.unchanged(NOT_OURS)
        return Change.delete()

    def apply(self, run: TeardownRun, change: Change) -> None:
        from ampctl.aws import amp

        amp.delete(run.workspace_client("amp").delete_rule_groups_namespace, workspaceId=self.workspace_id,
                   name=self.name)  # fmt: skip


class RetireWorkspace(DeleteWorkspace):
    """ampctl's workspace is deleted; another's is kept, with ampctl's shape and upgrade tags taken off it."""

    after: tuple[str, ...] = ("rules",)

    def __init__(self, run: TeardownRun, workspace: dict[str, Any]) -> None:
        super().__init__(run, "", str(workspace["workspaceId"]))
        self.arn = str(workspace["arn"])
        self.untag: list[str] = []

    def check(self, run: TeardownRun) -> Change:
        from ampctl.aws import amp

        ws = amp.describe(run.workspace_client("amp"), str(self.workspace_id))
        if ws is None or amp.status_of(ws) == "DELETING":
            return Change.unchanged("absent")
        tags = ws.get("tags") or {}
        if tags.get("managed-by") == "ampctl":
            return Change.delete("made by ampctl")
        self.untag = [key for key in shared_tag_keys() if key in tags]
        if not self.untag:
            return Change.unchanged("not created by ampctl: kept (no ampctl tags on it)")
        return Change.update(f"not created by ampctl: kept, without its tags {', '.join(self.untag)}")

    def apply(self, run: TeardownRun, change: Change) -> None:
        if change.action.value == "delete":
            super().apply(run, Change.delete(str(self.workspace_id)))  # DeleteWorkspace deletes the id it is given
            return
        from ampctl.upgrade.record import Holder

        # Only the keys the plan found on it (UntagResource "removes the specified tags", AMP API Reference).
        Holder(run.workspace_client("amp"), arn=self.arn).remove(tuple(self.untag))


def amp_values_file(path: Path) -> bool:
    """A values file of the 1.x/2.x release: it sets a key the 3.x chart refuses (ampctl.lines.v3.REMOVED_KEYS),
    global.amp and sigV4Proxy among them. A file that is not YAML is not judged (kept)."""
    import yaml

    from ampctl.lines.v3 import REMOVED_KEYS

    try:
        tree = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    from ampctl.chartkeys import at

    return any(at(tree, key) is not None for key in REMOVED_KEYS)


class DeleteAmpValuesFiles(Step[TeardownRun]):
    """The 1.x/2.x release's values files that bootstrap/add-cluster wrote under --values-dir/<cluster> on this
    machine; the 3.x release's files there are kept."""

    needs: tuple[str, ...] | None = ()

    def __init__(self, run: TeardownRun, values_dir: str) -> None:
        self.directory = Path(values_dir) / run.cluster
        self.title = f"AMP values files in {self.directory}"
        self.found: list[Path] = []

    def check(self, run: TeardownRun) -> Change:
        if self.directory.is_dir():
            self.found = sorted(p for p in self.directory.glob("*.yaml") if p.is_file() and amp_values_file(p))
        if not self.found:
            return Change.unchanged("none")
        return Change.delete(", ".join(p.name for p in self.found))

    def apply(self, run: TeardownRun, change: Change) -> None:
        for path in self.found:
            path.unlink(missing_ok=True)
