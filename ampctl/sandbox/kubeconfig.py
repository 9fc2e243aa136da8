"""The sandbox kubeconfig: one context per emulated cluster, named like EKS contexts."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import yaml

from ampctl.sandbox.config import ClusterState


def write_kubeconfig(path: Path, clusters: Iterable[ClusterState]) -> None:
    clusters = list(clusters)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": c.context, "cluster": {"server": c.api_url}} for c in clusters],
        "users": [{"name": c.context, "user": {"token": f"sandbox-token-{c.name}"}} for c in clusters],
        "contexts": [{"name": c.context, "context": {"cluster": c.context, "user": c.context}} for c in clusters],
        "current-context": clusters[0].context if clusters else "",
        "preferences": {},
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
