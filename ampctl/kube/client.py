"""A thin wrapper over the official client: read objects as plain dicts, None when absent."""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from ampctl.errors import AmpctlError

_kubeconfigs: dict[str, Any] = {}
_kubeconfigs_lock = threading.Lock()


def _kubeconfig(path: str | None) -> Any:
    """The kubeconfig (`path`, else KUBECONFIG's files merged, else ~/.kube/config) as the official client reads
    it, read once per command: a fleet's clusters share one file, and parsing it per cluster costs its size times
    the number of clusters."""
    from kubernetes.config.kube_config import KUBE_CONFIG_DEFAULT_LOCATION, KubeConfigMerger

    paths = path or KUBE_CONFIG_DEFAULT_LOCATION
    files = [os.path.expanduser(p) for p in paths.split(os.pathsep)]
    key = paths + "".join(f"|{os.stat(f).st_mtime_ns}" if os.path.exists(f) else "|-" for f in files)  # as edited
    with _kubeconfigs_lock:
        if key not in _kubeconfigs:
            _kubeconfigs[key] = KubeConfigMerger(paths)
        return _kubeconfigs[key]


def api_client(kubeconfig: str | None, context: str) -> Any:
    """An ApiClient for one context, as `kubernetes.config.new_client_from_config` makes it."""
    from kubernetes.client import ApiClient, Configuration
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import KubeConfigLoader

    merged = _kubeconfig(kubeconfig)
    if merged.config is None:
        raise ConfigException("Invalid kube-config file. No configuration found.")
    configuration = type.__call__(Configuration)  # not a copy of the process-wide default
    loader = KubeConfigLoader(
        config_dict=merged.config, config_base_path=None, active_context=context, config_persister=merged.save_changes
    )
    loader.load_and_set(configuration)
    return ApiClient(configuration=configuration)


class Kube:
    def __init__(self, kubeconfig: str | None, context: str) -> None:
        from ampctl import warm

        warm.loaded(warm.KUBERNETES)
        from kubernetes import client
        from kubernetes.config.config_exception import ConfigException

        try:
            self.api = api_client(kubeconfig, context)
        except ConfigException as exc:
            raise AmpctlError(f"cannot use kube context {context}: {exc}", "check --context / KUBECONFIG") from exc
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)

    def to_dict(self, obj: Any) -> dict[str, Any]:
        return dict(self.api.sanitize_for_serialization(obj))

    # Reads come back as the API server's JSON: the client's models would build, per object and per field, a
    # Configuration (which resets every logger's cache) only to be turned back into the same dict.

    def read(self, kind: str, namespace: str | None, name: str, *, group: str = "core") -> dict[str, Any] | None:
        """Read an object (core: namespace, service_account, secret, config_map, ...; apps: deployment)."""
        from kubernetes.client.exceptions import ApiException

        api = self.apps if group == "apps" else self.core
        reader = getattr(api, f"read_namespaced_{kind}" if namespace else f"read_{kind}")
        args = (name, namespace) if namespace else (name,)
        try:
            found: dict[str, Any] = json.loads(reader(*args, _preload_content=False).data)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise translate(exc, f"read {kind} {name}") from exc
        return found

    def list(self, kind: str, namespace: str, label_selector: str | None = None) -> list[dict[str, Any]]:
        from kubernetes.client.exceptions import ApiException

        lister = getattr(self.core, f"list_namespaced_{kind}")
        try:
            result = json.loads(lister(namespace, label_selector=label_selector or "", _preload_content=False).data)
        except ApiException as exc:
            raise translate(exc, f"list {kind}") from exc
        return list(result.get("items") or [])

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException

        try:
            return fn(*args, **kwargs)
        except ApiException as exc:
            raise translate(exc, what) from exc

    def delete(self, what: str, fn: Any, *args: Any) -> bool:
        """A delete where "not found" counts as done; False when the object was already gone."""
        from kubernetes.client.exceptions import ApiException

        try:
            fn(*args)
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise translate(exc, what) from exc
        return True

    def create(self, what: str, fn: Any, *args: Any) -> bool:
        """A create where "already exists" is reported (False) so the caller can adopt or refuse."""
        from kubernetes.client.exceptions import ApiException

        try:
            fn(*args)
        except ApiException as exc:
            if exc.status == 409:
                return False
            raise translate(exc, what) from exc
        return True


def translate(exc: Any, what: str) -> AmpctlError:
    if exc.status in (401, 403):
        return AmpctlError(
            f"Kubernetes denied {what} ({exc.status} {exc.reason})",
            "the kube context's identity needs rights in the namespace (check aws-auth / access entries)",
        )
    return AmpctlError(f"Kubernetes {what} failed: {exc.status} {exc.reason}", "see -v output for details")
