"""`ampctl teardown` end to end: choose the clusters, build the request, hand it to the flow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ampctl.errors import AmpctlError

if TYPE_CHECKING:
    from ampctl.selection import Selection

KEYS = ("alias", "workspace_id", "workspace_role_arn", "namespace", "release", "bucket")


def teardown(
    selection: Selection, given: dict[str, Any], *, yes: bool, dry_run: bool, parallel: int, wait_lock: str | None
) -> None:
    from ampctl.inputs import seconds
    from ampctl.selection import choose, load_fleet
    from ampctl.spec import DEFAULT_ALIAS, DEFAULT_NAMESPACE, DEFAULT_RELEASE, DEFAULT_VALUES_DIR
    from ampctl.teardown import flow

    waiting = seconds(wait_lock, "--wait-lock") if wait_lock else 0.0
    fleet = load_fleet(selection)
    chosen = choose(selection, "fleet", fleet)
    delete_workspace, delete_bucket = bool(given.get("delete_workspace")), bool(given.get("delete_bucket"))
    retire_amp = bool(given.get("retire_amp"))
    if retire_amp and (delete_workspace or delete_bucket or given.get("force")):
        raise AmpctlError(
            "--retire-amp keeps the 3.x fleet (its bucket included) and removes only its AMP side",
            "leave out --delete-workspace/--delete-bucket/--force (the workspace goes with --retire-amp when ampctl "
            "made it), or leave out --retire-amp to tear the fleet down",
        )
    if (delete_workspace or delete_bucket) and not chosen.whole_fleet:
        raise AmpctlError(
            "--delete-workspace/--delete-bucket remove what the whole fleet shares",
            "tear down the whole fleet (--fleet ampctl.yaml or --all), or leave them out",
        )
    from_file = fleet.given() if fleet is not None else {}
    s: dict[str, Any] = {k: v for k, v in {**from_file, **given}.items() if k in KEYS and v is not None}
    request = flow.Request(
        namespace=str(s.get("namespace", DEFAULT_NAMESPACE)), release=str(s.get("release", DEFAULT_RELEASE)),
        alias=str(s.get("alias", DEFAULT_ALIAS)), workspace_id=s.get("workspace_id"),
        bucket=s.get("bucket"), delete_workspace=delete_workspace, delete_bucket=delete_bucket,
        force=bool(given.get("force")), helm=given.get("helm"), workspace_role_arn=s.get("workspace_role_arn"),
        retire_amp=retire_amp, values_dir=str(given.get("values_dir") or DEFAULT_VALUES_DIR),
    )  # fmt: skip
    names = ", ".join(t.cluster for t in chosen.targets) or "no clusters"
    title = f"teardown --retire-amp ({names})" if retire_amp else f"teardown ({names})"
    flow.teardown(chosen, request, yes=yes, dry_run=dry_run, parallel=parallel, title=title, wait_lock=waiting)
