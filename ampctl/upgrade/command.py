"""`ampctl upgrade` end to end: read the fleet and its record, plan every cluster, confirm, then run the waves, each
gated by doctor, recording the progress AWS-side after each. A stop (a failed install, a doctor failure, a kill)
leaves the clusters not yet reached as they were; the same command resumes at the first wave not done."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ampctl import output
from ampctl.errors import AmpctlError
from ampctl.upgrade.claim import Claim
from ampctl.upgrade.record import DONE, RUNNING, STOPPED, Progress, from_tags
from ampctl.upgrade.show import document, show_plan

if TYPE_CHECKING:
    from ampctl.selection import Chosen, Selection
    from ampctl.upgrade.fleetstate import FleetState
    from ampctl.upgrade.planning import ClusterPlan
    from ampctl.upgrade.waves import Wave

DEFAULT_GATE_WAIT = "10m"


@dataclass(frozen=True)
class UpgradeOrder:
    selection: Selection
    given: dict[str, Any] = field(default_factory=dict)  # provisioning settings (chart repository, helm, ...)
    target: str | None = None  # --to
    canary: str | None = None
    max_parallel: int = 4
    force: bool = False  # go to 3.x before the finops-agents have run two days on 2.9
    gate_wait: str = DEFAULT_GATE_WAIT  # how long doctor waits for data after each wave
    max_sample_age: str = "3m"  # doctor's --max-sample-age in the gate
    yes: bool = False
    dry_run: bool = False
    wait_lock: str | None = None


def run(order: UpgradeOrder) -> None:
    from ampctl.doctor.options import parse_duration
    from ampctl.inputs import check_requests, seconds
    from ampctl.provision.settings import build_request
    from ampctl.selection import choose, load_fleet
    from ampctl.upgrade import fleetstate, planning
    from ampctl.upgrade.paths import as_target
    from ampctl.upgrade.waves import check_width, waves
    from ampctl.versions import check_usable

    # Input first: nothing is read before it all holds.
    if order.target is not None:
        with as_target():
            check_usable(order.target)
    gate_wait = parse_duration(order.gate_wait, "--gate-wait")
    max_age = parse_duration(order.max_sample_age, "--max-sample-age")
    wait_lock = seconds(order.wait_lock, "--wait-lock") if order.wait_lock else 0.0
    check_width(order.max_parallel)
    fleet = load_fleet(order.selection)
    base = build_request(False, order.given, fleet)
    check_requests([base])  # values files, --set, --timeout: as bootstrap checks them, before any call
    chosen = choose(order.selection, "fleet", fleet)
    names = [t.cluster for t in chosen.targets]
    if order.canary is not None and order.canary not in names:
        waves(names, None, order.canary, order.max_parallel)  # refuses, naming the clusters

    state = fleetstate.read(chosen.sessions.for_region(chosen.region), base)
    target = _target(order, state)
    claim = Claim(state.holder)
    if not order.dry_run:
        claim.check()  # another live run upgrading the fleet: refused before anything is read
    if state.shape.gitops:
        raise AmpctlError(
            "the fleet's releases are installed by its GitOps engine (--no-helm): ampctl upgrade runs helm",
            "change the chart version in the GitOps repository (`ampctl render --gitops` at the new version)",
        )
    plans = [planning.ClusterPlan(t, planning.request_for(base, state, t.cluster, target)) for t in chosen.targets]
    problems = planning.read_all(plans, chosen.sessions, state.shape.federated)
    if problems:
        raise AmpctlError(f"cannot upgrade: {'; '.join(problems)}", "fix those clusters (or leave them out), re-run")
    now = _bridge(plans, chosen, order.force)
    order_of = waves(names, state.shape.primary, order.canary, order.max_parallel)
    show_plan(state, plans, order_of, target, now)
    todo = [p for p in plans if not p.done]
    resumed = state.progress if state.progress is not None and state.progress.under_way else None
    if order.dry_run or (not todo and resumed is None):
        if output.is_json():
            recorded = state.progress.to_json() if state.progress is not None else None
            output.emit_json(document(state, plans, order_of, target, now, applied=False, progress=recorded))
        elif order.dry_run:
            output.info(f"dry run: {len(todo)} cluster(s) to upgrade, nothing applied")
        else:
            output.info(f"[green]nothing to change[/green]: every cluster chosen runs {target}")
        return
    from ampctl.plan.confirm import confirm

    if not confirm(len(todo), order.yes):
        raise AmpctlError("cancelled: nothing was changed", "re-run and confirm, or pass --yes")
    origin = resumed.origin if resumed is not None and resumed.target == target else str(state.shape.chart_version)
    progress = Progress(target, origin, RUNNING, resumed.wave if resumed else "").now(RUNNING)
    claim.take(progress)
    waves_json: list[dict[str, Any]] = []
    try:
        progress = _waves(order, state, plans, order_of, progress, (gate_wait, max_age), wait_lock, chosen, waves_json)
    finally:
        claim.release()
        if output.is_json():
            final = from_tags(state.holder.read()) or progress
            output.emit_json(document(state, plans, order_of, target, now, applied=True, progress=final.to_json(),
                                      ran=waves_json))  # fmt: skip


def _target(order: UpgradeOrder, state: FleetState) -> str:
    under_way = state.progress if state.progress is not None and state.progress.under_way else None
    if under_way is not None and order.target not in (None, under_way.target):
        raise AmpctlError(
            f"the fleet is in the middle of an {under_way.describe()}",
            f"finish it first with `ampctl upgrade --to {under_way.target}`",
        )
    # Without --to: the recorded upgrade's target (a finished one then has nothing left to do).
    target = order.target or (state.progress.target if state.progress is not None else None)
    if target is None:
        raise AmpctlError("which version? no upgrade of this fleet is recorded", "pass --to VERSION, e.g. --to 2.9.7")
    return target


def _bridge(plans: list[ClusterPlan], chosen: Chosen, force: bool) -> datetime:
    """AWS's clock now; on the way to 3.x, refuse (or with --force, warn about) every finops-agent that has not run
    two days on 2.9."""
    from ampctl.aws.clock import aws_now
    from ampctl.upgrade.bridge import not_crossed

    # GetCallerIdentity needs no permission (AWS STS API Reference, GetCallerIdentity): any caller has AWS's time.
    now = aws_now(chosen.sessions.for_region(chosen.region).client("sts").get_caller_identity())
    short = not_crossed([p.bridge for p in plans if p.bridge is not None and not p.done], now)
    if not short:
        return now
    text = "; ".join(b.describe(now) for b in short)
    if force:
        output.warn(f"--force: going to 3.x before two days on 2.9 ({text}): the current day's data (UTC) of "
                    "those clusters may be lost")  # fmt: skip
        return now
    raise AmpctlError(
        f"not yet: Kubecost's finops-agent must run two days on 2.9 before 3.x: {text}",
        "re-run when the time has passed (the current day's data is lost otherwise), or add --force to accept that",
    )


def _waves(
    order: UpgradeOrder, state: FleetState, plans: list[ClusterPlan], waves: list[Wave], progress: Progress,
    gate_wait: tuple[float, float], wait_lock: float, chosen: Chosen, ran: list[dict[str, Any]],
) -> Progress:  # fmt: skip
    from ampctl.upgrade.gate import gate, install

    by_name = {p.name: p for p in plans}
    for wave in waves:
        members = [by_name[n] for n in wave.clusters]
        if wave.number <= progress.passed and all(p.done for p in members):
            output.info(f"{wave.describe(len(waves))}: passed doctor before")
            continue
        output.info(f"{wave.describe(len(waves))}: starting")
        item: dict[str, Any] = {"number": wave.number, "clusters": list(wave.clusters), "passed": False}
        ran.append(item)
        try:
            with output.collecting() as item["provisioned"]:
                # Every cluster of a wave not passed: one already on the target may have been cut off after its
                # release (a kill), and a complete one plans nothing.
                install(members, chosen, order.max_parallel, wait_lock, wave, len(waves))
            with output.collecting() as item["doctor"]:
                gate(members, state, chosen, *gate_wait)
            item["passed"] = True
        except AmpctlError as exc:
            _record_stop(state, progress.now(STOPPED, note=f"wave {wave.number}/{len(waves)}: {exc.message}"))
            raise AmpctlError(
                f"upgrade stopped at {wave.describe(len(waves))}: {exc.message}",
                f"{exc.hint + '; then ' if exc.hint else ''}re-run `ampctl upgrade --to {progress.target}` to resume "
                "(the clusters of later waves are untouched)",
            ) from exc
        progress = progress.now(RUNNING, wave=f"{wave.number}/{len(waves)}")
        state.holder.write(progress.tags())
    if order.selection.only:  # a part of the fleet: the rest is still to come
        output.show(f"[green]✓[/green] {', '.join(p.name for p in plans)} on {progress.target}; the upgrade goes on "
                    "for the fleet's other clusters")  # fmt: skip
        return progress
    progress = progress.now(DONE)
    state.holder.write(progress.tags())
    output.show(f"[green]✓[/green] upgrade to {progress.target} done: {len(plans)} cluster(s) pass doctor")
    return progress


def _record_stop(state: FleetState, stopped: Progress) -> None:
    """Record why the upgrade stopped. Should AWS refuse even that (its retries spent), the stop itself is what the
    user must see: the record stays `running`, and the next run takes it over (ampctl.upgrade.claim)."""
    try:
        state.holder.write(stopped.tags())
    except Exception as exc:  # noqa: BLE001 - reported, and the stop raised by the caller
        output.warn(f"could not record the stop on {state.holder.describe()}: {exc}")
