"""The primary records the fleet's shape as tags on the AMP workspace, for add-cluster, doctor and status."""

from __future__ import annotations

from ampctl.plan.step import Change, Step
from ampctl.provision.context import ClusterRun


def shape_change(current: dict[str, str], wanted: dict[str, str]) -> Change:
    """What recording the shape `wanted` over the tags `current` changes, tag by tag."""
    differ = sorted(k for k, v in wanted.items() if current.get(k) != v)
    if not differ:
        return Change.unchanged()
    if not any(k in current for k in differ):
        return Change.create("not recorded before")
    return Change.update(", ".join(f"{k} {current.get(k) or '(none)'} -> {wanted[k]}" for k in differ))


class RecordFleetShape(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ("workspace",)
    gives: tuple[str, ...] = ("fleet-shape",)

    def __init__(self, run: ClusterRun) -> None:
        from ampctl.provision.follow import shape_of

        self.shape = shape_of(run.request, run.cluster)
        from ampctl.provision.steps_amp import in_account

        self.title = f"fleet shape tags on the AMP workspace ({self.shape.describe()}){in_account(run)}"

    def check(self, run: ClusterRun) -> Change:
        from ampctl.fleetshape import RELEASES_TAG, workspace_tags

        if run.workspace_id is None:
            return Change.create("with the new workspace")
        current = workspace_tags(run.found_workspace or {})  # as found before planning, tags included
        if current and RELEASES_TAG not in current:
            current[RELEASES_TAG] = "ampctl"  # recorded before the tag existed: ampctl installed the releases
        return shape_change(current, self.shape.tags())

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.aws import amp as ampapi

        if run.workspace_tagged:  # this run created the workspace with these tags
            return
        amp = run.workspace_client("amp")
        arn = run.workspace_arn
        if arn is None:
            assert run.workspace_id
            arn = str((ampapi.describe(amp, run.workspace_id) or {})["arn"])
        amp.tag_resource(resourceArn=arn, tags=self.shape.tags())
