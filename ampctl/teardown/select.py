"""Which clusters status and teardown act on: a fleet file, given contexts, or (--all) ampctl's IAM tags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ampctl import output
from ampctl.errors import AmpctlError

if TYPE_CHECKING:
    from ampctl.aws.session import Sessions
    from ampctl.fleet import Fleet
    from ampctl.target import Target


@dataclass
class Chosen:
    fleet: Fleet | None
    targets: list[Target]
    sessions: Sessions
    region: str
    whole_fleet: bool


def choose(
    fleet_file: str | None,
    contexts: list[str],
    all_clusters: bool,
    *,
    kubeconfig: str | None,
    region: str | None,
    profile: str | None,
) -> Chosen:
    from ampctl import fleet as fleetmod
    from ampctl.aws.session import Sessions
    from ampctl.doctor.discover import discovery_region, managed_clusters
    from ampctl.target import Target, load_kubeconfig, parse_context, resolve

    if sum([bool(fleet_file), bool(contexts), all_clusters]) > 1:
        raise AmpctlError("-f, --context and --all each choose the clusters", "give only one of them")
    sessions = Sessions(profile)
    if fleet_file:
        fleet = fleetmod.load(fleet_file)
        targets = [fleetmod.target(fleet, m, kubeconfig) for m in fleet.members]
        home = region or fleet.get("region") or targets[0].region
        return Chosen(fleet, targets, sessions, str(home), True)
    if contexts:
        targets = [resolve(c, kubeconfig=kubeconfig, region=region) for c in dict.fromkeys(contexts)]
        return Chosen(None, targets, sessions, region or targets[0].region, False)
    if not all_clusters:
        raise AmpctlError("no clusters chosen", "pass -f ampctl.yaml, --context CONTEXT (repeatable) or --all")
    home = discovery_region(region, kubeconfig)
    if home is None:
        raise AmpctlError("no region for --all", "pass --region or export AWS_REGION")
    aws = sessions.for_region(home)
    clusters = managed_clusters(aws.client("iam"))
    account = aws.account()
    found: dict[str, Target] = {}
    for ctx in load_kubeconfig(kubeconfig)["contexts"]:
        parsed = parse_context(str(ctx.get("name") or ""))
        if parsed and parsed[2] in clusters and parsed[1] == account and parsed[2] not in found:
            found[parsed[2]] = Target(str(ctx["name"]), parsed[2], parsed[0], parsed[1], kubeconfig)
    for missing in sorted(clusters - set(found)):
        output.warn(f"cluster {missing} has ampctl's IAM roles but no EKS context in the kubeconfig: skipped")
    return Chosen(None, [found[c] for c in sorted(found)], sessions, home, True)
