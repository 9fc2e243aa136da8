"""`ampctl render --gitops`: the fleet's clusters as specs (at most one read-only lookup each for the account and the
workspace, none per cluster), then the GitOps tree written to the output directory."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ampctl.errors import AmpctlError
from ampctl.gitops.layout import VALUES_ONLY_ISSUER
from ampctl.selection import Selection


@dataclass(frozen=True)
class GitopsOrder:
    selection: Selection
    out_dir: Path
    engine: str
    given: dict[str, Any] = field(default_factory=dict)  # ProvisionRequest fields from the command line
    account: str | None = None
    git_repo: str | None = None
    git_revision: str = "HEAD"
    git_path: str | None = None  # the output directory inside the Git repository (default: its name)
    agent: bool = False


def render_gitops(order: GitopsOrder) -> dict[str, Any]:
    from ampctl.gitops.layout import engine

    engine(order.engine)
    if order.engine == "argocd" and not order.git_repo:
        raise AmpctlError(
            "--gitops argocd needs the Git repository the output is committed to",
            "pass --git-repo URL (and --git-path DIR when the directory is not at the repository's root)",
        )
    if order.given.get("set_values"):
        raise AmpctlError("--set has no place in GitOps values files", "put those keys in a values file and pass -f")
    layout = build_layout(order)
    return write(layout, order.out_dir)


def build_layout(order: GitopsOrder) -> Any:
    from ampctl import validate
    from ampctl.gitops.layout import Layout, Member, chart_source
    from ampctl.provision.settings import build_request
    from ampctl.selection import choose, load_fleet

    fleet = load_fleet(order.selection)
    request = build_request(not order.agent, order.given, fleet)
    if not request.line.on_amp:
        from ampctl.provision.builder import no_gitops_on_3x

        raise no_gitops_on_3x()
    if fleet is not None and not order.selection.contexts:
        targets = fleet_targets(fleet, order.selection.only)
        region = str(order.selection.region or fleet.get("region") or targets[0].region)
    else:
        chosen = choose(order.selection, "fleet", fleet, offline=True)
        targets, region = targets, chosen.region
    validate.region(region)
    session = None
    account = order.account or next((t.account for t in targets if t.account), None)
    if account is None or request.workspace_id is None:
        from ampctl.aws.session import AwsSession

        session = AwsSession(order.selection.profile, region)
    if account is None:
        assert session
        account = session.account()
    validate.account(account)
    workspace_id = request.workspace_id or _workspace_id(session, request, region)
    validate.workspace_id(workspace_id)
    request = request.with_default_bucket(account, region)
    extra = {m.name: m.values for m in fleet.members} if fleet is not None else {}
    members = []
    for index, target in enumerate(targets):
        validate.cluster_name(target.cluster)
        primary = target.cluster == fleet.primary.name if fleet is not None else index == 0 and not order.agent
        spec = dataclasses.replace(request, primary=primary).cluster_spec(
            cluster=target.cluster, region=region, account=target.account or account,
            oidc_issuer=VALUES_ONLY_ISSUER.format(region=region), workspace_id=workspace_id,
        )  # fmt: skip
        validate.cluster_spec(spec)
        members.append(Member(spec, tuple(request.extra_values) + extra.get(target.cluster, ()), target.context))
    name = fleet.name if fleet is not None else request.release
    git_path = order.git_path if order.git_path is not None else order.out_dir.resolve().name
    return Layout(
        engine=order.engine, fleet=name, chart=chart_source(request.chart, request.chart_repo),
        chart_version=request.chart_version, namespace=request.namespace, release=request.release,
        timeout=request.timeout, members=tuple(members), git_repo=order.git_repo or "",
        git_revision=order.git_revision, git_path=git_path,
    )  # fmt: skip


def fleet_targets(fleet: Any, only: tuple[str, ...]) -> list[Any]:
    """The fleet's members from the file alone: an EKS context ARN names cluster, region and account, so rendering
    for a fleet needs no kubeconfig."""
    from ampctl.target import Target, parse_context

    names = [m.name for m in fleet.members]
    unknown = [n for n in only if n not in names]
    if unknown:
        raise AmpctlError(f"--only {', '.join(unknown)}: not among the clusters of {fleet.path}",
                          f"choose from {', '.join(names)}")  # fmt: skip
    targets = []
    for m in fleet.members:
        if only and m.name not in only:
            continue
        parsed = parse_context(m.context)
        region, account = (parsed[0], parsed[1]) if parsed else (str(fleet.get("region")), None)
        targets.append(Target(m.context, m.name, region, account, None))
    return targets


def _workspace_id(session: Any, request: Any, region: str) -> str:
    from ampctl.aws import amp as ampapi

    ws = ampapi.one_by_alias(session.assumed(request.workspace_role_arn).client("amp"), request.alias, region)
    if ws is None:
        raise AmpctlError(
            f"no AMP workspace with alias {request.alias!r} in {region}",
            "pass --workspace-id, or run `ampctl bootstrap --no-helm` first",
        )
    return str(ws["workspaceId"])


def write(layout: Any, out_dir: Path) -> dict[str, Any]:
    from ampctl.gitops.tree import gitops_tree
    from ampctl.render.tree import write_all

    files = gitops_tree(layout)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = write_all(files, out_dir)
    return {
        "engine": layout.engine,
        "fleet": layout.fleet,
        "clusters": [m.spec.cluster for m in layout.members],
        "files": [{"path": str(p), "name": f.name, "mode": oct(f.mode)} for p, f in zip(paths, files, strict=True)],
        "readme": str(out_dir / "README.md"),
    }
