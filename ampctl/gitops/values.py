"""One values file per cluster: the same values a direct install takes (ampctl's files in helm's order, then the
user's), merged into one file so that an engine needs a single path per cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ampctl.gitops.layout import Member


def tree(member: Member) -> dict[str, Any]:
    """The merged values of one cluster, as helm would merge its -f files."""
    from ampctl.provision.values import merged
    from ampctl.render.values import values_files

    return merged([f.content for f in values_files(member.spec)], member.values, ())


def text(member: Member) -> str:
    from ampctl.render.templating import dump_values

    spec = member.spec
    role = "primary" if spec.primary else "additional cluster"
    mode = "federated" if spec.federated else "quick-start"
    header = [
        f"Kubecost values for cluster {spec.cluster} ({role}, {mode}, cost-analyzer {spec.chart_version}).",
        "Written by `ampctl render --gitops`: the values `ampctl bootstrap`/`add-cluster` would install. Do not edit;",
        "change the fleet file or your values files and render again. `ampctl doctor` compares the cluster with it.",
    ]
    if member.values:
        header.append("Merged after ampctl's values: " + ", ".join(Path(v).name for v in member.values))
    return "".join(f"# {line}\n" for line in header) + dump_values(tree(member))
