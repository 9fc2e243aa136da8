"""The shape of a fleet whose workspace has no record, read from its primary's Helm release (when the fleet file
names the primary): the mode from its values, the bucket from its object-store Secret, its chart version."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ampctl import yamltext
from ampctl.chartkeys import object_store_secret
from ampctl.errors import AmpctlError
from ampctl.fleetshape import FleetShape, mode_of

if TYPE_CHECKING:
    from ampctl.provision.request import ProvisionRequest
    from ampctl.target import Target


def _secret_bucket(primary: Target, namespace: str, name: str) -> str | None:
    import base64

    import yaml

    from ampctl.kube.client import Kube

    secret = Kube(primary.kubeconfig, primary.context).read("secret", namespace, name)
    data = (secret or {}).get("data") or {}
    try:
        store = yamltext.load(base64.b64decode(data.get("federated-store.yaml", "")).decode()) or {}
    except (ValueError, yaml.YAMLError):
        return None
    bucket = (store.get("config") or {}).get("bucket") if isinstance(store, dict) else None
    return str(bucket) if bucket else None


def from_primary(primary: Target, request: ProvisionRequest) -> FleetShape | None:
    """The primary's installed shape, or None when it cannot be read (no release, cluster unreachable)."""
    from ampctl.helm import Helm

    try:
        release = Helm(primary.kubeconfig, primary.context, request.helm).release(request.release, request.namespace)
    except (AmpctlError, OSError):
        return None
    if release is None:
        return None
    secret = object_store_secret(release.values)
    bucket = _secret_bucket(primary, request.namespace, str(secret)) if secret else None
    return FleetShape(
        mode=mode_of(bool(secret)), chart_version=release.chart_version or None, bucket=bucket,
        namespace=request.namespace, release=request.release, primary=primary.cluster, fleet=request.fleet,
        source=f"inferred from the release of primary {primary.cluster}",
    )  # fmt: skip
