"""Render one cluster's artifacts, looking up only what was not given (read-only calls)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ampctl.errors import AmpctlError
from ampctl.provision.request import ProvisionRequest
from ampctl.selection import Selection
from ampctl.target import Target


@dataclass(frozen=True)
class RenderOrder:
    selection: Selection
    out_dir: Path
    agent: bool = False
    given: dict[str, Any] = field(default_factory=dict)  # ProvisionRequest fields from the command line
    account: str | None = None
    oidc_issuer: str | None = None


def render(order: RenderOrder) -> dict[str, Any]:
    """One cluster's artifacts: the fleet file's primary, a context, or offline --cluster/--region."""
    from ampctl.provision.settings import build_request
    from ampctl.selection import choose, load_fleet

    fleet = load_fleet(order.selection)
    given = {**order.given, "values_dir": str(order.out_dir)}
    request = build_request(not order.agent, given, fleet)
    chosen = choose(order.selection, "primary", fleet, offline=True)
    return render_cluster(
        request, order.out_dir, target=chosen.targets[0], profile=order.selection.profile,
        account=order.account, oidc_issuer=order.oidc_issuer,
    )  # fmt: skip


def render_cluster(
    request: ProvisionRequest,
    out_dir: Path,
    *,
    target: Target,
    profile: str | None,
    account: str | None,
    oidc_issuer: str | None,
) -> dict[str, Any]:
    from ampctl import validate
    from ampctl.render.objects import pod_identity_associations
    from ampctl.render.tree import render_all, write_all

    validate.cluster_name(target.cluster)
    validate.region(target.region)
    if request.kms_key and request.primary:
        validate.kms_key(request.kms_key, target.region)  # the primary's bucket is in its region
    account = account or target.account
    workspace_id = request.workspace_id if request.line.on_amp else ""  # 3.x has no workspace
    session = None
    if account is None or oidc_issuer is None or workspace_id is None:
        from ampctl.aws.session import AwsSession

        session = AwsSession(profile, target.region)
    if account is None:
        assert session
        account = session.account()
    validate.account(account)
    if oidc_issuer is None:
        assert session
        cluster_info = session.client("eks").describe_cluster(name=target.cluster)["cluster"]
        oidc_issuer = str(cluster_info["identity"]["oidc"]["issuer"])
    validate.oidc_issuer(oidc_issuer)
    if workspace_id is None:
        from ampctl.aws import amp as ampapi

        assert session
        amp = session.assumed(request.workspace_role_arn).client("amp")
        ws = ampapi.one_by_alias(amp, request.alias, target.region)
        if ws is None:
            raise AmpctlError(
                f"no AMP workspace with alias {request.alias!r} in {target.region}",
                "pass --workspace-id, or run `ampctl bootstrap` first",
            )
        workspace_id = str(ws["workspaceId"])
    if request.line.on_amp:
        validate.workspace_id(workspace_id)
    spec = request.with_default_bucket(account, target.region).cluster_spec(
        cluster=target.cluster, region=target.region, account=account, oidc_issuer=oidc_issuer,
        workspace_id=workspace_id,
    )  # fmt: skip
    files = render_all(
        spec, extra_values=request.extra_values, set_values=request.set_values, chart=request.chart,
        timeout=request.timeout, product_key=request.product_key,
    )  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = write_all(files, out_dir)
    listed = [{"path": str(p), "name": f.name, "mode": oct(f.mode)} for p, f in zip(paths, files, strict=True)]
    values = [item for item in listed if item["name"][:3].rstrip("-").isdigit()]
    return {
        "cluster": target.cluster,
        "workspace_id": workspace_id,
        "values_files": [item["path"] for item in values] + list(request.extra_values),
        "files": listed,
        "helm_command": str(out_dir / "helm-command.sh"),
        "spec": dataclasses.asdict(spec),
        "pod_identity_associations": pod_identity_associations(spec) if spec.pod_identity else [],
    }
