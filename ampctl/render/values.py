"""Helm values for one cluster, in the order helm takes them (later files win). The keys that carry the
install contract come from ampctl.chartkeys; the templates hold only tuning and the AMP endpoints."""

from __future__ import annotations

from typing import Any

from ampctl import chartkeys, endpoints, validate, yamltext
from ampctl.lines.base import Line
from ampctl.render.templating import RenderedFile, dump_values, render
from ampctl.spec import ClusterSpec


def _role(spec: ClusterSpec) -> str:
    return "primary" if spec.primary else "agent"


def _yaml(header: list[str], tree: dict[str, Any]) -> str:
    return "".join(f"# {line}\n" for line in header) + dump_values(tree)


def values_files(spec: ClusterSpec) -> list[RenderedFile]:
    """The values files in the order helm takes them (later files win)."""
    validate.cluster_spec(spec)
    line = spec.line
    if not line.on_amp:
        return _off_amp(spec, line)
    files = [
        RenderedFile("eks-overlay.yaml", render(line.overlay_template, version=spec.chart_version)),
        RenderedFile(
            "config-values.yaml",
            render(
                "config-values.yaml.j2",
                workspace_id=spec.workspace_id,
                region=spec.region,
                query_url=endpoints.sidecar_query_url(spec.workspace_id),
                remote_write_url=endpoints.remote_write_url(spec.region, spec.workspace_id),
                amp_host=endpoints.amp_host(spec.region),
            ),
        ),
    ]
    if spec.federated:
        files.append(RenderedFile(f"federation-{_role(spec)}.yaml", _federation(spec, line)))
    files.append(RenderedFile("cluster-values.yaml", _cluster(spec, line.name)))
    if spec.storage_class:
        files.append(RenderedFile("storage-values.yaml", _storage(spec)))
    return files


def _storage(spec: ClusterSpec) -> str:
    from ampctl.storage.claims import claims, storage_class_values

    assert spec.storage_class is not None
    found = claims(spec.chart_version, spec.primary, spec.federated)
    header = [f"StorageClass {spec.storage_class} for the {len(found)} volumes this release claims (--storage-class)."]
    flat = storage_class_values(spec.chart_version, spec.primary, spec.federated, spec.storage_class)
    return _yaml(header, chartkeys.nest(flat))


def _federation(spec: ClusterSpec, line: Line) -> str:
    tuning: dict[str, Any] = {}
    if line.federation_template:
        tuning = yamltext.load(render(line.federation_template.format(role=_role(spec)))) or {}
    tree = chartkeys.nest(chartkeys.federation_values(spec), into=tuning)
    header = [
        f"Federated ETL, chart {line.name}, {'primary' if spec.primary else 'additional'} cluster:",
        f"{line.federation_roles[_role(spec)]}.",
        "The object-store Secret holds federated-store.yaml; ampctl creates it before installing.",
    ]
    return _yaml(header, tree)


def _cluster(spec: ClusterSpec, line: str) -> str:
    role = f"federated {_role(spec)}" if spec.federated else "quick-start: every cluster alike"
    header = [
        f"Cluster {spec.cluster} ({role}), chart line {line}: names and identities, one value each.",
        "The service accounts are created by ampctl with their IRSA role annotations."
        if not spec.pod_identity
        else "EKS Pod Identity: the service accounts carry no role annotation (pod identity associations bind "
        "them to their roles); the sigv4 proxy image is pinned to one with the Pod Identity credential provider.",
    ]
    return _yaml(header, chartkeys.nest(chartkeys.identity_values(spec)))


def _off_amp(spec: ClusterSpec, line: Line) -> list[RenderedFile]:
    """A line off AMP (3.x): the chart's EKS image overlay, then the cluster's values (no AMP endpoints: the bucket
    holds the data)."""
    assert line.values is not None
    overlay = [f"Kubecost {line.name} images from Amazon ECR Public (the chart's values-eks-cost-monitoring.yaml)."]
    header = [
        f"Cluster {spec.cluster}, chart line {line.name}, {line.describe_role(spec)}.",
        "The federated-storage Secret holds federated-store.yaml; ampctl creates it and the ServiceAccounts "
        + (
            "(annotated with their IRSA roles) before installing."
            if not spec.pod_identity
            else "(no role annotation: EKS pod identity associations bind them to their roles) before installing."
        ),
    ]
    return [
        RenderedFile("eks-overlay.yaml", _yaml(overlay, chartkeys.nest(line.eks_overlay))),
        RenderedFile("cluster-values.yaml", _yaml(header, chartkeys.nest(line.values(spec)))),
    ]
