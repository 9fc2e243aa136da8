"""`ampctl status` end to end: choose the clusters, collect, show."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ampctl.selection import Selection

KEYS = ("alias", "workspace_id", "workspace_role_arn", "namespace", "release", "bucket")


def status(selection: Selection, given: dict[str, object], parallel: int) -> None:
    from ampctl import output
    from ampctl.doctor.options import parse_duration
    from ampctl.fleetstatus import collect, show
    from ampctl.selection import choose, load_fleet

    fleet = load_fleet(selection)
    if given.get("workspace_role_arn"):
        from ampctl.validate import role_arn

        role_arn(str(given["workspace_role_arn"]))
    chosen = choose(selection, "fleet", fleet)
    from_file = fleet.given() if fleet is not None else {}
    settings = {k: v for k, v in {**from_file, **given}.items() if k in KEYS and v is not None}
    stale = given.get("stale_after")
    scope = collect.Scope(
        targets=chosen.targets, helm=given.get("helm"),  # type: ignore[arg-type]
        stale_after=parse_duration(str(stale), "--stale-after") if stale is not None else 300.0,
        **settings,
    )  # fmt: skip
    result = collect.collect(scope, chosen.sessions.for_region, chosen.region, parallel)
    if output.is_json():
        output.emit_json(show.as_json(result))
    else:
        show.table(result)
