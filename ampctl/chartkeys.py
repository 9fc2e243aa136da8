"""The values of a cost-analyzer cluster that follow from its line's contract keys (each line module's LineKeys,
ampctl.lines). Rendering, doctor and the real-chart tests all read it.
"""

from __future__ import annotations

from typing import Any

from ampctl.lines import base
from ampctl.lines.base import CLUSTER as CLUSTER
from ampctl.lines.base import LineKeys
from ampctl.lines.costanalyzer import CLUSTER_NAME as CLUSTER_NAME
from ampctl.lines.costanalyzer import EXTERNAL_LABEL as EXTERNAL_LABEL
from ampctl.spec import OBJECT_STORE_SECRET, SA_COST_ANALYZER, ClusterSpec
from ampctl.versions import LINES, line_of, parse_version

# Under EKS Pod Identity the sigv4 proxy must be an image whose AWS SDK has the Pod Identity credential provider:
# aws-sigv4-proxy 1.9 and later (its vendored aws-sdk-go v1.54.19 reads AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE in
# aws/defaults/defaults.go; v1.8 vendors v1.44.233, which does not). The chart's default tag `latest` is unpinned,
# so ampctl pins the newest release checked, 1.11.1 (2026-02-11), above that floor.
SIGV4_PROXY_IMAGE_KEY = "sigV4Proxy.image"
SIGV4_PROXY_POD_IDENTITY_IMAGE = "public.ecr.aws/aws-observability/aws-sigv4-proxy:1.11.1"
PROXY_POD_IDENTITY_FROM = (1, 9)
Role = base.Role

# A workspace in another account: the role the sigv4 proxy assumes (it adds --role-arn) and the one Prometheus's
# remote write assumes (the chart copies global.amp.sigv4 into remote_write[].sigv4). Every supported line has both.
QUERY_ROLE_KEY = "sigV4Proxy.role_arn"
WRITE_ROLE_KEY = "global.amp.sigv4.role_arn"


def line_keys(version: str) -> LineKeys:
    """Where the line of `version` (released or not) keeps each contract fact."""
    return line_of(version).keys


def object_store_secret(values: dict[str, Any]) -> str | None:
    """The object-store Secret an installed release's values name, on any line (None: quick-start)."""
    for key in dict.fromkeys(line.keys.object_store_key for line in reversed(LINES)):
        node = at(values, key)
        if node:
            return str(node)
    return None


def at(tree: Any, dotted: str) -> Any:
    """The value at a dotted key of nested values (`global.amp.enabled`), or None where any part is missing."""
    node: Any = tree
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def cluster_filter_key(version: str) -> str | None:
    """The key that renders CURRENT_CLUSTER_ID_FILTER_ENABLED on this version, or None when none does."""
    return line_of(version).cluster_filter_key(parse_version(version))


def wants_cluster_filter(version: str, primary: bool, federated: bool) -> bool:
    """Every cluster computes only its own cluster_id, except a 1.x quick-start primary (it shows the fleet)."""
    return not (primary and not federated and line_of(version).quick_start_primary_shows_fleet)


def needs_upgrade_ack(spec: ClusterSpec) -> bool:
    """2.0.0–2.0.2 fail on AMP even with federated storage unless upgrade.toV2 is set: correct only there."""
    span = line_of(spec.chart_version).upgrade_ack
    return spec.federated and span is not None and span[0] <= parse_version(spec.chart_version) <= span[1]


def _role(spec: ClusterSpec) -> Role:
    return "primary" if spec.primary else "agent"


def identity_values(spec: ClusterSpec) -> dict[str, Any]:
    """Flat key -> value for who the cluster is and which identities its pods use (every mode)."""
    keys = line_keys(spec.chart_version)
    flat: dict[str, Any] = dict.fromkeys(keys.cluster_id_keys, spec.cluster)
    flat["kubecostProductConfigs.projectID"] = spec.account
    if spec.product_key_secret:
        flat["kubecostProductConfigs.productKey.enabled"] = True
        flat["kubecostProductConfigs.productKey.secretname"] = spec.product_key_secret
    flat["serviceAccount.create"] = False
    flat["prometheus.serviceAccounts.server.create"] = False
    flat.update(keys.service_accounts)
    if keys.finops_agent_sa_key:
        flat["finopsagent.serviceAccount.create"] = False
        flat[keys.finops_agent_sa_key] = SA_COST_ANALYZER
    filter_key = cluster_filter_key(spec.chart_version)
    if filter_key and wants_cluster_filter(spec.chart_version, spec.primary, spec.federated):
        flat[filter_key] = True
    if spec.prom_cluster_id_label:
        flat["kubecostModel.promClusterIDLabel"] = spec.prom_cluster_id_label
    flat.update(workspace_role_values(spec))
    if spec.pod_identity:
        flat[SIGV4_PROXY_IMAGE_KEY] = SIGV4_PROXY_POD_IDENTITY_IMAGE
    return flat


def workspace_role_values(spec: ClusterSpec) -> dict[str, str]:
    """With the workspace in another account: the roles there that Kubecost's pods assume (else nothing)."""
    if not spec.workspace_account:
        return {}
    from ampctl.naming import role_arn, workspace_role_name

    def arn(component: str) -> str:
        return role_arn(spec.workspace_account or "", workspace_role_name(spec.cluster, component), region=spec.region)

    return {QUERY_ROLE_KEY: arn("cost-analyzer"), WRITE_ROLE_KEY: arn("prometheus-server")}


def federation_values(spec: ClusterSpec) -> dict[str, Any]:
    """Flat key -> value for federated ETL on this cluster's role (empty in quick-start)."""
    if not spec.federated:
        return {}
    keys = line_keys(spec.chart_version)
    flat = {k: (spec.cluster if v == CLUSTER else v) for k, v in keys.federation[_role(spec)].items()}
    flat[keys.object_store_key] = OBJECT_STORE_SECRET
    flat.update(keys.federated_names)
    if needs_upgrade_ack(spec):
        flat["upgrade.toV2"] = True
    return flat


def nest(flat: dict[str, Any], into: dict[str, Any] | None = None) -> dict[str, Any]:
    """Dotted keys to nested maps (later keys win), optionally merged into an existing tree."""
    tree: dict[str, Any] = into if into is not None else {}
    for dotted, value in flat.items():
        node = tree
        *parents, leaf = dotted.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[leaf] = value
    return tree
