"""The volumes a release asks for, per role and mode, and the key that sets each one's StorageClass: each chart line
says which (ampctl.lines: the cost-analyzer lines' in ampctl.lines.costanalyzer, with their chart sources). A claim
with no class set gets the cluster's default StorageClass.
"""

from __future__ import annotations

from ampctl.lines.base import Claim as Claim
from ampctl.versions import line_of


def claims(version: str, primary: bool, federated: bool) -> list[Claim]:
    """The claims a release of chart `version` creates in this role and mode."""
    return line_of(version).claims(primary, federated)


def storage_class_values(version: str, primary: bool, federated: bool, storage_class: str) -> dict[str, str]:
    """Flat key -> class for every claim of the line (`--storage-class`)."""
    return {c.class_key: storage_class for c in claims(version, primary, federated)}
