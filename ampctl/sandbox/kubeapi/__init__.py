"""An emulated Kubernetes API server for the local sandbox (stdlib HTTP, in-memory store).

`KubeEmulator` serves one API per cluster on 127.0.0.1; kubectl, helm and the official Python
client work against it. `ApiError` is what store calls raise, carrying the Kubernetes `Status`.
"""

from __future__ import annotations

from ampctl.sandbox.kubeapi.emulator import KubeEmulator
from ampctl.sandbox.kubeapi.status import ApiError
from ampctl.sandbox.kubeapi.store import ObjectStore

__all__ = ["ApiError", "KubeEmulator", "ObjectStore"]
