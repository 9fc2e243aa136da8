"""A helm release as Helm's default storage driver keeps it: one Secret per revision (`sh.helm.release.v1.<name>.v<N>`,
labels owner=helm, name, status, version), its `release` key the release as gzipped JSON in base64.

Reading the newest revision is one Kubernetes list. `helm list` and `helm status` read the same Secrets, in two
processes. Under another driver (HELM_DRIVER=configmap, memory, sql) the release is read through helm itself.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from typing import TYPE_CHECKING, Any

from ampctl.errors import AmpctlError

if TYPE_CHECKING:
    from ampctl.kube.client import Kube

GZIP_MAGIC = b"\x1f\x8b\x08"


def readable() -> bool:
    """True when helm keeps its releases in Secrets (its default)."""
    return os.environ.get("HELM_DRIVER", "secret").lower() in {"", "secret", "secrets"}


def newest(kube: Kube, name: str, namespace: str) -> dict[str, Any] | None:
    """The release's newest revision, whatever its status (as `helm status` shows it), or None when there is none."""
    secrets = kube.list("secret", namespace, f"owner=helm,name={name}")
    stored = [s for s in secrets if (s.get("data") or {}).get("release")]
    if not stored:
        return None
    latest = max(stored, key=lambda s: int(((s.get("metadata") or {}).get("labels") or {}).get("version") or 0))
    try:
        return decode(latest["data"]["release"])
    except (ValueError, OSError) as exc:  # not base64, not gzip, not JSON
        secret = (latest.get("metadata") or {}).get("name")
        raise AmpctlError(
            f"helm's record of release {namespace}/{name} (Secret {secret}) cannot be read: {exc}",
            f"check it with `helm status {name} -n {namespace}`",
        ) from exc


def decode(data: str) -> dict[str, Any]:
    """A release from a Secret's `release` value (the API's base64 of helm's base64 of gzipped JSON)."""
    payload = base64.b64decode(base64.b64decode(data))
    if payload[:3] == GZIP_MAGIC:
        payload = gzip.decompress(payload)
    release: dict[str, Any] = json.loads(payload)
    return release
