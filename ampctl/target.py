"""Which cluster a command acts on: kubeconfig context, EKS cluster name, region and account."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ampctl.errors import AmpctlError

_EKS_ARN = re.compile(r"^arn:aws[\w-]*:eks:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):cluster/(?P<name>.+)$")


@dataclass(frozen=True)
class Target:
    context: str
    cluster: str
    region: str
    account: str | None  # from the context ARN, when it is one
    kubeconfig: str | None


def parse_context(name: str) -> tuple[str, str, str] | None:
    """(region, account, cluster) from an EKS context ARN, else None."""
    match = _EKS_ARN.match(name)
    return (match["region"], match["account"], match["name"]) if match else None


def kubeconfig_files(kubeconfig: str | None) -> list[Path]:
    if kubeconfig:
        return [Path(kubeconfig).expanduser()]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return [Path("~/.kube/config").expanduser()]


_read: dict[tuple[Path, int], dict[str, Any]] = {}


def _kubeconfig_file(path: Path) -> dict[str, Any]:
    """One kubeconfig file, parsed once per command (each of a fleet's targets is resolved in it) and as edited."""
    import yaml

    from ampctl import yamltext

    try:
        key = (path, path.stat().st_mtime_ns)
        if key not in _read:
            _read[key] = yamltext.load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AmpctlError(f"cannot read kubeconfig {path}: {exc}", "check the file or pass --kubeconfig") from exc
    return _read[key]


def load_kubeconfig(kubeconfig: str | None) -> dict[str, Any]:
    """Merge kubeconfig files the way kubectl does (first file wins for each name)."""
    merged: dict[str, Any] = {"contexts": [], "current-context": None}
    seen: set[str] = set()
    for path in kubeconfig_files(kubeconfig):
        if not path.exists():
            continue
        data = _kubeconfig_file(path)
        for ctx in data.get("contexts") or []:
            if ctx.get("name") not in seen:
                seen.add(ctx.get("name"))
                merged["contexts"].append(ctx)
        merged["current-context"] = merged["current-context"] or data.get("current-context")
    return merged


def resolve(
    context: str | None,
    *,
    kubeconfig: str | None = None,
    cluster: str | None = None,
    region: str | None = None,
) -> Target:
    config = load_kubeconfig(kubeconfig)
    names = [c.get("name") for c in config["contexts"]]
    name = context or config["current-context"]
    if not name:
        raise AmpctlError("no kubeconfig context selected", "pass --context or run `kubectl config use-context`")
    if name not in names:
        raise AmpctlError(
            f"context {name!r} is not in the kubeconfig",
            "list contexts with `kubectl config get-contexts`, or pass --kubeconfig",
        )
    parsed = parse_context(name)
    if parsed:
        ctx_region, account, ctx_cluster = parsed
        if cluster and cluster != ctx_cluster:
            raise AmpctlError(
                f"--cluster {cluster} disagrees with context {name}", "drop --cluster or pick the matching context"
            )
        if region and region != ctx_region:
            raise AmpctlError(
                f"--region {region} disagrees with context {name}", "drop --region or pick the matching context"
            )
        return Target(name, ctx_cluster, ctx_region, account, kubeconfig)
    if not cluster or not region:
        raise AmpctlError(
            f"context {name!r} is not an EKS context ARN, so the cluster and region are unknown",
            "pass --cluster NAME and --region REGION",
        )
    return Target(name, cluster, region, None, kubeconfig)


def check_account(target: Target, account: str) -> None:
    if target.account and target.account != account:
        raise AmpctlError(
            f"the AWS credentials are for account {account} but context {target.context} is in "
            f"account {target.account}",
            "use credentials (--profile / AWS_PROFILE) for the cluster's account",
        )
