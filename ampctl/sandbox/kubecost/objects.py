"""What the stand-in reads from a cluster: the rendered Kubecost objects, as a pod would see them."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Protocol

import yaml

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
SIGV4PROXY = "sigv4proxy"
COST_MODEL = "cost-model"
PROMETHEUS_SERVER = "prometheus-server"
FINOPS_AGENT = "finops-agent"
# Where cost-model reads the object store configuration unless FEDERATED_STORE_CONFIG says otherwise,
# and where the finops-agent (2.9) has it mounted.
OBJECT_STORE_CONFIG = "/var/configs/etl/federated/federated-store.yaml"
FINOPS_STORE_CONFIG = "/var/configs/federated-store.yaml"

Obj = dict[str, Any]


class Store(Protocol):
    def get(self, group_version: str, plural: str, namespace: str | None, name: str) -> Obj | None: ...

    def list(
        self,
        group_version: str,
        plural: str,
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> list[Obj]: ...


def pod_spec(workload: Obj) -> Obj:
    return dict(((workload.get("spec") or {}).get("template") or {}).get("spec") or {})


def container(spec: Obj, name: str) -> Obj | None:
    return next((c for c in spec.get("containers") or [] if c.get("name") == name), None)


def namespace_of(obj: Obj) -> str:
    return str(obj["metadata"].get("namespace") or "default")


def pods_of(store: Store, workload: Obj) -> list[Obj]:
    """The workload's pods: same namespace, matching its selector's matchLabels."""
    match = ((workload.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    if not match:
        return []
    selector = ",".join(f"{k}={v}" for k, v in sorted(match.items()))
    return list(store.list("v1", "pods", namespace_of(workload), selector))


def running(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and not pod["metadata"].get("deletionTimestamp")


def serving_pod(store: Store, workload: Obj) -> Obj | None:
    """The newest running pod of the workload: the one that answers and logs (doctor reads the newest)."""
    pods = sorted(
        (p for p in pods_of(store, workload) if running(p)),
        key=lambda p: (p["metadata"].get("creationTimestamp") or "", p["metadata"]["name"]),
    )
    return pods[-1] if pods else None


def service_account_of(store: Store, workload: Obj) -> str:
    """The service account the serving pod runs as (the template's while there is no pod)."""
    pod = serving_pod(store, workload)
    spec = (pod.get("spec") or {}) if pod else pod_spec(workload)
    return str(spec.get("serviceAccountName") or "default")


def beside_cost_model(store: Store, namespace: str) -> bool:
    """A cost-model runs in the namespace (a 1.x/2.x install; 3.x has none: the kubecost chart at 3.2.1)."""
    return any(container(pod_spec(d), COST_MODEL) for d in store.list("apps/v1", "deployments", namespace))


def store_config_path(store: Store, workload: Obj, reader: Obj) -> str:
    """Where a reader of the bucket finds the object-store file: FEDERATED_STORE_CONFIG (1.x/2.x cost-model and
    aggregator), else where the Secret is mounted: /var/configs/federated-store.yaml (2.9's finops-agent, every 3.x
    component: the kubecost chart at 3.2.1), else cost-model's default."""
    path = env_value(store, namespace_of(workload), reader, "FEDERATED_STORE_CONFIG")
    if path:
        return path
    if mounted_secret_file(pod_spec(workload), reader, FINOPS_STORE_CONFIG) is not None:
        return FINOPS_STORE_CONFIG
    return OBJECT_STORE_CONFIG


def pod_identity_agent_running(store: Store) -> bool:
    """An EKS Pod Identity agent runs as DaemonSet kube-system/eks-pod-identity-agent with a ready pod, whether the
    add-on or the user made it (EKS User Guide, "Set up the Amazon EKS Pod Identity Agent":
    `kubectl describe daemonset eks-pod-identity-agent -n kube-system`)."""
    ds = store.get("apps/v1", "daemonsets", "kube-system", "eks-pod-identity-agent")
    return bool(ds and int((ds.get("status") or {}).get("numberReady") or 0) > 0)


def irsa_role(store: Store, namespace: str, service_account: str) -> str | None:
    """The role ARN the EKS pod identity webhook would hand to pods of this service account."""
    sa = store.get("v1", "serviceaccounts", namespace, service_account)
    if sa is None:
        return None
    role = ((sa["metadata"].get("annotations") or {}).get(IRSA_ANNOTATION) or "").strip()
    return role or None


def env_value(store: Store, namespace: str, spec: Obj, name: str) -> str | None:
    """An env var of a container as the kubelet resolves it (`value` or a ConfigMap/Secret key)."""
    for item in spec.get("env") or []:
        if item.get("name") != name:
            continue
        if "value" in item:
            return str(item["value"])
        ref = item.get("valueFrom") or {}
        if "configMapKeyRef" in ref:
            cm = store.get("v1", "configmaps", namespace, ref["configMapKeyRef"]["name"])
            return None if cm is None else (cm.get("data") or {}).get(ref["configMapKeyRef"]["key"])
        if "secretKeyRef" in ref:
            return secret_value(store, namespace, ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"])
    return None


def secret_value(store: Store, namespace: str, name: str, key: str) -> str | None:
    secret = store.get("v1", "secrets", namespace, name)
    if secret is None:
        return None
    if key in (secret.get("stringData") or {}):
        return str(secret["stringData"][key])
    raw = (secret.get("data") or {}).get(key)
    return None if raw is None else base64.b64decode(raw).decode(errors="replace")


@dataclass(frozen=True)
class Sidecar:
    """The aws-sigv4-proxy container's flags."""

    service: str
    region: str
    host: str
    port: int
    role_arn: str | None
    image: str = ""
    # An upstream answer of 400 or more is logged only with --log-failed-requests or -v (debug level):
    # awslabs/aws-sigv4-proxy handler/proxy_client.go at v1.9, `if (p.LogFailedRequest || log.GetLevel() ==
    # log.DebugLevel) && resp.StatusCode >= 400`. The Kubecost chart passes neither flag.
    log_failed: bool = False

    @classmethod
    def from_container(cls, spec: Obj) -> Sidecar:
        args = [str(a) for a in spec.get("args") or []]
        flags: dict[str, str] = {}
        for i, arg in enumerate(args):
            if not arg.startswith("--"):
                continue
            key, eq, value = arg[2:].partition("=")
            flags[key] = value if eq else (args[i + 1] if i + 1 < len(args) else "")
        port = flags.get("port", ":8005").rsplit(":", 1)[-1]
        return cls(
            service=flags.get("name", ""),
            region=flags.get("region", ""),
            host=flags.get("host", ""),
            port=int(port) if port.isdigit() else 8005,
            role_arn=flags.get("role-arn") or None,
            image=str(spec.get("image") or ""),
            log_failed="log-failed-requests" in flags or "-v" in args or "verbose" in flags,
        )


def mounted_secret_file(spec: Obj, container_spec: Obj, path: str) -> tuple[str, str] | None:
    """(Secret name, key) of the file a container sees at `path`, or None when no Secret provides it.

    Follows the mount that holds `path` (the longest mountPath above it, or a subPath mount of the
    file itself) to its volume, and the volume's `items` when it maps keys to other file names."""
    best: tuple[Obj, str] | None = None
    for mount in container_spec.get("volumeMounts") or []:
        at = str(mount.get("mountPath") or "").rstrip("/")
        if mount.get("subPath"):
            inside = str(mount["subPath"]) if at == path else None
        else:
            inside = path[len(at) + 1 :] if path.startswith(at + "/") else None
        if inside and (best is None or len(at) > len(str(best[0].get("mountPath") or "").rstrip("/"))):
            best = (mount, inside)
    if best is None:
        return None
    mount, inside = best
    volume = next((v for v in spec.get("volumes") or [] if v.get("name") == mount.get("name")), None)
    secret = (volume or {}).get("secret") or {}
    if not secret.get("secretName"):
        return None
    items = secret.get("items")
    key = next((str(i.get("key")) for i in items if i.get("path") == inside), None) if items else inside
    return (str(secret["secretName"]), key) if key else None


def prometheus_config(store: Store, workload: Obj) -> tuple[str, str | None]:
    """(config file path, its text) for a prometheus-server Deployment, from its config volume."""
    spec = pod_spec(workload)
    server = container(spec, PROMETHEUS_SERVER) or {}
    path = "/etc/config/prometheus.yml"
    for arg in server.get("args") or []:
        if str(arg).startswith("--config.file="):
            path = str(arg).split("=", 1)[1]
    directory, _, filename = path.rpartition("/")
    mount = next((m for m in server.get("volumeMounts") or [] if m.get("mountPath") == directory), None)
    volumes = {v.get("name"): v for v in spec.get("volumes") or []}
    source = (volumes.get(mount.get("name")) if mount else None) or {}
    name = (source.get("configMap") or {}).get("name")
    if not name:
        return path, None
    cm = store.get("v1", "configmaps", namespace_of(workload), name)
    return path, None if cm is None else (cm.get("data") or {}).get(filename)


class ConfigError(ValueError):
    pass


class _StrictLoader(yaml.SafeLoader):
    """Rejects duplicate mapping keys, as Prometheus' YAML parser does."""


def _strict_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Obj:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise ConfigError(f'line {line}: mapping key "{key}" already defined at line {seen[key]}')
        seen[key] = line
    return {str(k): v for k, v in loader.construct_mapping(node, deep=deep).items()}


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _strict_mapping)


def parse_prometheus_config(path: str, text: str) -> Obj:
    """The parsed config, or ConfigError worded as Prometheus words it."""
    try:
        config = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except ConfigError as exc:
        raise ConfigError(f"parsing YAML file {path}: yaml: unmarshal errors:\n  {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"parsing YAML file {path}: {exc}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"parsing YAML file {path}: not a mapping")
    return config
