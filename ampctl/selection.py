"""Which clusters a command acts on: the one resolver every command uses.

A target is chosen by exactly one of: kubeconfig contexts (`--context`, repeatable; `--cluster`/`--region` name
the EKS cluster of a single non-EKS context), a fleet file (`--fleet`/`-F`, or `./ampctl.yaml` found automatically
when no other target is given; `--only NAME` picks members), `--all` (every cluster with ampctl's IAM roles), or by
default the current context. Each command says which scope it takes: the primary (bootstrap, render), additional
clusters (add-cluster) or any clusters of the fleet (doctor, status, teardown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ampctl.errors import AmpctlError

if TYPE_CHECKING:
    from ampctl.aws.session import Sessions
    from ampctl.fleet import Fleet
    from ampctl.target import Target

FLEET_FILE = "ampctl.yaml"
Scope = Literal["primary", "additional", "fleet"]


@dataclass(frozen=True)
class Selection:
    """The target options as the user gave them."""

    contexts: tuple[str, ...] = ()
    cluster: str | None = None
    region: str | None = None
    fleet_file: str | None = None
    all_clusters: bool = False
    only: tuple[str, ...] = ()
    kubeconfig: str | None = None
    profile: str | None = None

    @property
    def explicit_target(self) -> bool:
        return bool(self.contexts or self.all_clusters)


@dataclass
class Chosen:
    fleet: Fleet | None
    targets: list[Target]
    region: str  # the fleet's home region (workspace, bucket)
    whole_fleet: bool
    source: str  # how the clusters were chosen, said to the user when it was a default
    sessions: Sessions
    missing: list[str] = field(default_factory=list)  # --all: clusters with ampctl's roles but no context


def load_fleet(selection: Selection) -> Fleet | None:
    """The fleet file given with --fleet, else ./ampctl.yaml when present and no other target is given."""
    from ampctl.fleet import load

    if selection.fleet_file:
        return load(selection.fleet_file)
    if not selection.explicit_target and Path(FLEET_FILE).is_file():
        return load(FLEET_FILE)
    return None


def _contexts(selection: Selection) -> list[Target]:
    from ampctl.target import resolve

    if selection.cluster and len(selection.contexts) > 1:
        raise AmpctlError("--cluster applies to a single context", "use EKS context ARNs for several clusters")
    chosen: list[str | None] = list(dict.fromkeys(selection.contexts)) or [None]
    return [
        resolve(c, kubeconfig=selection.kubeconfig, cluster=selection.cluster, region=selection.region) for c in chosen
    ]


def _members(fleet: Fleet, selection: Selection, scope: Scope) -> list[Target]:
    from ampctl import fleet as fleetmod

    if scope == "primary":
        if selection.only:
            raise AmpctlError("--only selects additional clusters", "bootstrap sets up the fleet's primary")
        return [fleetmod.target(fleet, fleet.primary, selection.kubeconfig)]
    pool = fleet.clusters if scope == "additional" else fleet.members
    names = [m.name for m in pool]
    unknown = [n for n in selection.only if n not in names]
    if unknown:
        raise AmpctlError(
            f"--only {', '.join(unknown)}: not among the clusters of {fleet.path}", f"choose from {', '.join(names)}"
        )
    members = [m for m in pool if not selection.only or m.name in selection.only]
    if not members:
        raise AmpctlError(f"{fleet.path} lists no additional clusters", "add them under `clusters:`")
    return [fleetmod.target(fleet, m, selection.kubeconfig) for m in members]


def _all(selection: Selection, sessions: Sessions) -> Chosen:
    from ampctl import output
    from ampctl.aws.iam import managed_clusters
    from ampctl.target import Target, load_kubeconfig, parse_context

    contexts = load_kubeconfig(selection.kubeconfig)["contexts"]
    home = selection.region or next(
        (p[0] for c in contexts if (p := parse_context(str(c.get("name") or ""))) is not None), None
    )
    if home is None:
        raise AmpctlError("no region for --all", "pass --region or export AWS_REGION")
    from ampctl.pool import together

    aws = sessions.for_region(home)
    clusters: set[str] = set()
    together([lambda: clusters.update(managed_clusters(aws.client("iam"))), aws.account])  # neither waits
    account = aws.account()
    if not clusters:
        raise AmpctlError(
            f"no IAM roles tagged managed-by=ampctl in account {account}",
            "set up a cluster with `ampctl bootstrap`, or pass --context",
        )
    found: dict[str, Target] = {}
    for ctx in contexts:
        parsed = parse_context(str(ctx.get("name") or ""))
        if parsed and parsed[2] in clusters and parsed[1] == account and parsed[2] not in found:
            found[parsed[2]] = Target(str(ctx["name"]), parsed[2], parsed[0], parsed[1], selection.kubeconfig)
    missing = sorted(clusters - set(found))
    for name in missing:
        output.warn(f"cluster {name} has ampctl's IAM roles but no EKS context in the kubeconfig")
    targets = [found[c] for c in sorted(found)]
    what = f"--all: {len(targets)} cluster(s) with ampctl's IAM roles"
    return Chosen(None, targets, home, True, what, sessions, missing)


def choose(selection: Selection, scope: Scope, fleet: Fleet | None = None, *, offline: bool = False) -> Chosen:
    """Resolve the selection for a command of the given scope; `fleet` is load_fleet(selection) when known."""
    from ampctl import output
    from ampctl.aws.session import Sessions
    from ampctl.target import Target

    fleet = fleet if fleet is not None else load_fleet(selection)
    sessions = Sessions(selection.profile)
    if selection.all_clusters and scope != "fleet":
        raise AmpctlError("--all acts on clusters that are set up already", "pass --context, or a fleet file")
    given = [bool(selection.fleet_file), bool(selection.contexts), selection.all_clusters]
    if sum(given) > 1 and not (scope == "primary" and not selection.all_clusters):
        raise AmpctlError(
            "--fleet, --context and --all each choose the clusters",
            "give only one of them" + (" (--only NAME picks clusters of the fleet)" if scope != "primary" else ""),
        )
    if selection.only and fleet is None:
        raise AmpctlError("--only selects clusters of a fleet file", "pass the fleet file with --fleet/-F")
    if selection.all_clusters:
        chosen = _all(selection, sessions)
    elif selection.contexts or fleet is None:
        if offline and not selection.contexts and selection.cluster and selection.region:
            targets = [Target("", selection.cluster, selection.region, None, selection.kubeconfig)]
        else:
            targets = _contexts(selection)
        what = f"context {targets[0].context}" if selection.contexts else f"the current context {targets[0].context}"
        if len(targets) > 1:
            what = f"{len(targets)} contexts"
        region = fleet.get("region") if fleet is not None else None
        chosen = Chosen(fleet, targets, str(selection.region or region or targets[0].region), False, what, sessions)
    else:
        targets = _members(fleet, selection, scope)
        home = selection.region or fleet.get("region") or targets[0].region
        whole = scope == "fleet" and not selection.only
        chosen = Chosen(fleet, targets, str(home), whole, f"fleet file {fleet.path} (fleet {fleet.name})", sessions)
    if scope == "primary" and len(chosen.targets) > 1:
        raise AmpctlError("this command acts on one cluster (the primary, or --agent for render)", "pass one --context")
    names = [t.cluster for t in chosen.targets]
    if len(set(names)) != len(names):
        raise AmpctlError(f"a cluster is named twice: {', '.join(names)}", "give each context once")
    if not selection.explicit_target and not selection.fleet_file:
        output.info(f"using {chosen.source}")
    return chosen
