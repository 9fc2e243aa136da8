"""The fleet file (`ampctl.yaml`): one workspace and bucket, the primary and additional clusters.

Loaded from PyYAML's node tree so that every error names the file, the line and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ampctl import yamltext
from ampctl.errors import AmpctlError

if TYPE_CHECKING:
    from ampctl.target import Target

API_VERSION = "ampctl/v1"
KIND = "Fleet"
HINT = "see `Fleet file` in the README for the schema"

# key -> (python type, description) for the top level and for each cluster entry
TOP_KEYS: dict[str, tuple[type, str]] = {
    "apiVersion": (str, "a string"),
    "kind": (str, "a string"),
    "name": (str, "a string"),
    "region": (str, "a string"),
    "alias": (str, "a string"),
    "workspace_id": (str, "a string"),
    "bucket": (str, "a string"),
    "kms_key": (str, "a KMS key ARN"),
    "federated": (bool, "true or false"),
    "chart": (str, "a string"),
    "chart_repo": (str, "a string"),
    "kubecost_version": (str, "a string"),
    "namespace": (str, "a string"),
    "release": (str, "a string"),
    "identity": (str, "irsa or pod-identity"),
    "storage_class": (str, "a StorageClass name"),
    "primary": (dict, "a mapping"),
    "clusters": (list, "a list"),
    "workspace": (dict, "a mapping with role_arn"),
}
# `workspace:` holds where the AMP workspace is reached from: the role ampctl assumes in its account.
WORKSPACE_KEYS: dict[str, tuple[type, str]] = {"role_arn": (str, "an IAM role ARN")}
# setting (as the requests of every command name it) -> fleet file key
SETTINGS = {
    "federated": "federated", "alias": "alias", "workspace_id": "workspace_id", "bucket": "bucket",
    "kms_key": "kms_key", "namespace": "namespace", "release": "release", "chart": "chart", "chart_repo": "chart_repo",
    "chart_version": "kubecost_version", "workspace_role_arn": "workspace_role_arn", "identity": "identity",
    "storage_class": "storage_class",
}  # fmt: skip
CLUSTER_KEYS: dict[str, tuple[type, str]] = {
    "name": (str, "a string"),
    "context": (str, "a string"),
    "values": (list, "a list of file paths"),
}


@dataclass(frozen=True)
class FleetCluster:
    name: str
    context: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fleet:
    path: str
    name: str
    primary: FleetCluster
    clusters: tuple[FleetCluster, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)  # region, alias, bucket, ... as given

    def get(self, key: str, default: Any = None) -> Any:
        return self.settings.get(key, default)

    def given(self) -> dict[str, Any]:
        """The settings this file gives, named as the commands' requests name them."""
        return {name: self.settings[key] for name, key in SETTINGS.items() if key in self.settings}

    @property
    def members(self) -> tuple[FleetCluster, ...]:
        return (self.primary, *self.clusters)


def is_fleet_file(path: str) -> bool:
    """True when the YAML file's top level says `kind: Fleet` (anything else is a Helm values file)."""
    import yaml

    try:
        data = yamltext.load(Path(path).read_text())
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and data.get("kind") == KIND


class _Loader:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, node: Any, message: str) -> AmpctlError:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        return AmpctlError(f"{self.path}{line}: {message}", HINT)

    def scalar(self, node: Any, where: str, kind: type, described: str) -> Any:
        import yaml

        if kind is dict:
            if not isinstance(node, yaml.MappingNode):
                raise self.fail(node, f"{where} must be {described}")
            return node
        if kind is list:
            if not isinstance(node, yaml.SequenceNode):
                raise self.fail(node, f"{where} must be {described}")
            return node
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{where} must be {described}")
        value = yaml.safe_load(yaml.serialize(node))
        if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = node.value  # a version like 2.8 is meant as text
        if not isinstance(value, kind) or (kind is str and not value):
            raise self.fail(node, f"{where} must be {described}, not {node.value!r}")
        return value

    def mapping(self, node: Any, where: str, keys: dict[str, tuple[type, str]]) -> dict[str, tuple[Any, Any]]:
        """{key: (value, node)} after checking for unknown, duplicate and mistyped keys."""
        found: dict[str, tuple[Any, Any]] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            prefix = f"{where}.{key}" if where else key
            if key not in keys:
                known = ", ".join(keys)
                raise self.fail(key_node, f"unknown key {prefix!r} (known keys: {known})")
            if key in found:
                raise self.fail(key_node, f"key {prefix!r} is given twice")
            kind, described = keys[key]
            found[key] = (self.scalar(value_node, prefix, kind, described), value_node)
        return found

    def cluster(self, node: Any, where: str, region: str | None) -> tuple[FleetCluster, Any, bool]:
        from ampctl.target import parse_context

        self.scalar(node, where, dict, "a mapping with name, context and values")
        entry = self.mapping(node, where, CLUSTER_KEYS)
        if "context" not in entry:
            raise self.fail(node, f"{where} has no 'context'")
        context = entry["context"][0]
        parsed = parse_context(context)
        name = entry["name"][0] if "name" in entry else (parsed[2] if parsed else None)
        if name is None:
            raise self.fail(node, f"{where}: context {context!r} is not an EKS ARN, so 'name' is required")
        if parsed and parsed[2] != name:
            raise self.fail(entry["name"][1], f"{where}.name {name!r} disagrees with context {context!r}")
        if parsed and region and parsed[0] != region:
            raise self.fail(node, f"{where}: context {context!r} is in {parsed[0]}, the file's region is {region}")
        if parsed is None and region is None:
            raise self.fail(node, f"{where}: context {context!r} is not an EKS ARN, so the file needs 'region'")
        values = []
        for item in entry["values"][0].value if "values" in entry else []:
            values.append(self.scalar(item, f"{where}.values[]", str, "a file path"))
        base = Path(self.path).parent
        paths = tuple(v if Path(v).is_absolute() else str(base / v) for v in values)
        return FleetCluster(name, context, paths), node, "name" in entry


def load(path: str) -> Fleet:
    """Read and validate a fleet file; every problem is an AmpctlError naming the file and line."""
    import yaml

    from ampctl import validate

    loader = _Loader(path)
    try:
        root = yaml.compose(Path(path).read_text())
    except OSError as exc:
        raise AmpctlError(
            f"cannot read fleet file {path}: {exc.strerror}", "check the path given with --fleet/-F"
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise AmpctlError(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', exc)}", HINT) from exc
    if root is None or not isinstance(root, yaml.MappingNode):
        raise loader.fail(root, "a fleet file is a mapping with apiVersion, kind: Fleet, primary, ...")
    top = loader.mapping(root, "", TOP_KEYS)
    if top.get("kind", (None,))[0] != KIND:
        raise loader.fail(root, f"kind must be {KIND!r}")
    if top.get("apiVersion", (None,))[0] != API_VERSION:
        raise loader.fail(top.get("apiVersion", (None, root))[1], f"apiVersion must be {API_VERSION!r}")
    if "primary" not in top:
        raise loader.fail(root, "missing 'primary' (the cluster that bootstrap sets up)")
    settings = {k: v for k, (v, _) in top.items() if k not in {"apiVersion", "kind", "primary", "clusters"}}
    checks = {"alias": validate.workspace_alias, "namespace": validate.namespace, "release": validate.release_name}
    checks["bucket"] = validate.bucket_name
    checks["kms_key"] = validate.kms_key
    checks["identity"] = validate.identity
    checks["storage_class"] = validate.storage_class
    for key, check in checks.items():
        if key in top:
            try:
                check(top[key][0])
            except AmpctlError as exc:
                raise loader.fail(top[key][1], f"{key}: {exc.message}") from exc
    if "workspace" in top:
        workspace = loader.mapping(settings.pop("workspace"), "workspace", WORKSPACE_KEYS)
        if "role_arn" in workspace:
            try:
                settings["workspace_role_arn"] = validate.role_arn(workspace["role_arn"][0], "workspace.role_arn")
            except AmpctlError as exc:
                raise loader.fail(workspace["role_arn"][1], exc.message) from exc
    region = settings.get("region")
    primary = loader.cluster(top["primary"][1], "primary", region)
    clusters = [
        loader.cluster(item, f"clusters[{i}]", region)
        for i, item in enumerate(top["clusters"][0].value if "clusters" in top else [])
    ]
    seen: dict[str, tuple[str, bool]] = {primary[0].name: ("primary", primary[2])}
    for i, (member, node, explicit) in enumerate(clusters):
        if member.name in seen:
            first, first_explicit = seen[member.name]
            if explicit and first_explicit and first != "primary":
                raise loader.fail(node, f"clusters[{i}]: duplicate cluster name {member.name!r} (also {first})")
            raise loader.fail(
                node, f"clusters[{i}]: duplicate cluster_id {member.name!r}: {first} reports under the same cluster_id"
            )
        seen[member.name] = (f"clusters[{i}]", explicit)
    seen_ids = {where: name for name, (where, _) in seen.items()}
    for where, name in seen_ids.items():
        try:
            validate.cluster_name(name)
        except AmpctlError as exc:
            raise loader.fail(root, f"{where}: {exc.message}") from exc
    if "name" not in settings:
        raise loader.fail(root, "missing 'name' (the fleet's name, tagged ampctl/fleet on what ampctl creates)")
    name = str(settings.pop("name"))
    return Fleet(path, name, primary[0], tuple(c for c, _, _ in clusters), settings)


def target(fleet: Fleet, member: FleetCluster, kubeconfig: str | None) -> Target:
    """The kubeconfig target of one fleet member (cluster and region from the file when not an EKS ARN)."""
    from ampctl.target import parse_context, resolve

    if parse_context(member.context):
        return resolve(member.context, kubeconfig=kubeconfig)
    return resolve(member.context, kubeconfig=kubeconfig, cluster=member.name, region=fleet.get("region"))


def select(fleet: Fleet, only: list[str]) -> list[FleetCluster]:
    """The additional clusters, or those named by --only (each must be in the file)."""
    names = [c.name for c in fleet.clusters]
    unknown = [n for n in only if n not in names]
    if unknown:
        raise AmpctlError(
            f"--only {', '.join(unknown)}: not among the clusters of {fleet.path}", f"choose from {', '.join(names)}"
        )
    return [c for c in fleet.clusters if not only or c.name in only]
