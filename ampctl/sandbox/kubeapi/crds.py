"""CustomResourceDefinitions: what the apiextensions controller reports once a definition is accepted.

helm waits (up to a minute) for every CRD it installs from a chart's `crds/` folder to be
Established before it goes on, so a definition must get its `NamesAccepted` and `Established`
conditions. The custom resources themselves are not served: no chart ampctl installs creates any.
"""

from __future__ import annotations

from typing import Any

from ampctl.sandbox.kubeapi.store import ObjectStore
from ampctl.sandbox.kubeapi.workload_status import conditions, write_status

GROUP_VERSION = "apiextensions.k8s.io/v1"
PLURAL = "customresourcedefinitions"


def establish(store: ObjectStore, crd: dict[str, Any]) -> None:
    spec = crd.get("spec") or {}
    names = dict(spec.get("names") or {})
    plural = str(names.get("plural") or "")
    names.setdefault("singular", str(names.get("kind") or "").lower())
    names.setdefault("listKind", f"{names.get('kind', '')}List")
    status = dict(crd.get("status") or {})
    status["conditions"] = conditions(
        status.get("conditions"),
        [
            ("NamesAccepted", True, "NoConflicts", "no conflicts found"),
            ("Established", True, "InitialNamesAccepted", "the initial names have been accepted"),
        ],
        with_update=False,
    )
    status["acceptedNames"] = names
    status["storedVersions"] = [
        str(v.get("name")) for v in spec.get("versions") or [] if v.get("storage")
    ] or status.get("storedVersions", [])
    if plural:
        write_status(store, crd, status)
