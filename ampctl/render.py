"""Every artifact ampctl derives from a spec: Helm values, Secrets, ServiceAccounts, IAM documents,
recording rules and the helm command line. Pure functions; nothing here talks to AWS, Kubernetes or helm.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ampctl import documents, endpoints, naming, validate
from ampctl.errors import AmpctlError
from ampctl.spec import (
    DEFAULT_CHART,
    OBJECT_STORE_SECRET,
    PRODUCT_KEY_SECRET,
    SA_COST_ANALYZER,
    SA_PROMETHEUS,
    ClusterSpec,
)
from ampctl.versions import ChartLine

if TYPE_CHECKING:
    import jinja2

DEFAULT_TIMEOUT = "10m"
SECRET_MODE = 0o600
SCRIPT_MODE = 0o755
OBJECT_STORE_KEY = "federated-store.yaml"
PRODUCT_KEY_KEY = "productkey.json"
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"


@dataclass(frozen=True)
class RenderedFile:
    name: str  # relative path, '/'-separated
    content: str
    mode: int = 0o644


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    import jinja2

    from ampctl.resources import templates_dir

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["q"] = lambda value: json.dumps(str(value))  # a JSON string is a YAML double-quoted scalar
    return env


def _render(template: str, **context: Any) -> str:
    return _env().get_template(template).render(**context)


def _dump(*manifests: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump_all(manifests, sort_keys=False, default_flow_style=False)


def _role(spec: ClusterSpec) -> str:
    return "primary" if spec.primary else "agent"


# --- Helm values -------------------------------------------------------------------------------


def values_files(spec: ClusterSpec) -> list[RenderedFile]:
    """The values files in the order helm takes them (later files win)."""
    validate.cluster_spec(spec)
    line = spec.line
    files = [
        RenderedFile("eks-overlay.yaml", _render(f"eks-overlay-{line.value}.yaml.j2", version=spec.chart_version)),
        RenderedFile(
            "config-values.yaml",
            _render(
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
        files.append(
            RenderedFile(f"federation-{_role(spec)}.yaml", _render(f"federation-{line.value}-{_role(spec)}.yaml.j2"))
        )
    files.append(RenderedFile("cluster-values.yaml", _cluster_values(spec, line)))
    return files


def _cluster_values(spec: ClusterSpec, line: ChartLine) -> str:
    federator_primary = spec.federated and spec.primary and line is ChartLine.FEDERATOR_1X
    return _render(
        "cluster-values.yaml.j2",
        cluster=spec.cluster,
        role=f"federated {_role(spec)}" if spec.federated else "quick-start: every cluster alike",
        account=spec.account,
        product_key_secret=spec.product_key_secret,
        sa_cost_analyzer=SA_COST_ANALYZER,
        sa_prometheus=SA_PROMETHEUS,
        primary_cluster_id=spec.cluster if federator_primary else None,
        prom_cluster_id_label=spec.prom_cluster_id_label,
        object_store_secret=OBJECT_STORE_SECRET if spec.federated else None,
    )


# --- Kubernetes objects ------------------------------------------------------------------------


def federated_store_yaml(spec: ClusterSpec) -> str:
    """The object-store configuration Kubecost reads from the Secret's federated-store.yaml key."""
    if not spec.bucket:
        raise AmpctlError(
            f"cluster {spec.cluster}: federated mode needs an S3 bucket for the ETL data",
            "pass --bucket (every cluster of the fleet uses the primary's bucket)",
        )
    return _render(
        "federated-store.yaml.j2",
        bucket=spec.bucket,
        endpoint=endpoints.s3_endpoint(spec.region),
        region=spec.region,
        aws_sdk_auth=spec.line is ChartLine.AGGREGATOR_2X,
    )


def _secret(spec: ClusterSpec, name: str, key: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": spec.namespace, "labels": naming.managed_labels()},
        "type": "Opaque",
        "data": {key: base64.b64encode(value.encode()).decode()},
    }


def object_store_secret(spec: ClusterSpec) -> dict[str, Any]:
    return _secret(spec, OBJECT_STORE_SECRET, OBJECT_STORE_KEY, federated_store_yaml(spec))


def product_key_secret(spec: ClusterSpec, key: str) -> dict[str, Any]:
    """The Enterprise product key as the chart expects it: productkey.json = {"key": "..."}."""
    if not key.strip():
        raise AmpctlError("the product key is empty", "pass the Kubecost Enterprise key you were given")
    name = spec.product_key_secret or PRODUCT_KEY_SECRET
    return _secret(spec, name, PRODUCT_KEY_KEY, json.dumps({"key": key.strip()}))


def service_account(spec: ClusterSpec, name: str, role_arn: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": name,
            "namespace": spec.namespace,
            "labels": naming.managed_labels(),
            "annotations": {ROLE_ARN_ANNOTATION: role_arn},
        },
    }


def irsa_roles(spec: ClusterSpec) -> list[tuple[str, str]]:
    """(service account, IAM role name) for each IRSA component of the cluster."""
    return [(sa, naming.role_name(spec.cluster, component)) for component, sa in naming.COMPONENTS.items()]


def recording_rules(seed_form: bool) -> str:
    """The two recording-rule groups, with current cAdvisor labels unless the AWS guide's form is wanted."""
    if seed_form:
        return _render("recording-rules.yaml.j2", container="container_name", pod="pod_name", form="AWS guide form")
    return _render("recording-rules.yaml.j2", container="container", pod="pod", form="current cAdvisor labels")


# --- helm ----------------------------------------------------------------------------------------

# --set keys that break the install: (key, value allowed, why).
_FORBIDDEN_SETS = (
    ("prometheus.server.remoteWrite", None, "global.amp.remoteWriteService already writes to AMP"),
    ("federatedETL.useExistingS3Config", "false", "ampctl configures the object store through its own Secret"),
)


def _check_set_values(set_values: Iterable[str]) -> None:
    for item in set_values:
        if not item.split("=", 1)[0] or "=" not in item:
            raise AmpctlError(
                f"invalid --set {item!r}: expected KEY=VALUE",
                "for example --set kubecostModel.logLevel=debug",
            )
        for part in re.split(r"(?<!\\),", item):
            key, _, value = part.partition("=")
            for forbidden, allowed, why in _FORBIDDEN_SETS:
                matches = key == forbidden or key.startswith((forbidden + ".", forbidden + "["))
                if matches and value != allowed:
                    raise AmpctlError(f"refusing --set {key}={value}: {why}", f"drop the --set for {forbidden}")


def helm_command(
    spec: ClusterSpec,
    values_paths: Sequence[str],
    extra_values: Sequence[str] = (),
    set_values: Sequence[str] = (),
    chart: str = DEFAULT_CHART,
    timeout: str = DEFAULT_TIMEOUT,
) -> list[str]:
    """The helm argv: ampctl's values files in order, then the user's -f files, then --set."""
    _check_set_values(set_values)
    argv = ["helm", "upgrade", "--install", spec.release, chart, "--version", spec.chart_version]
    argv += ["--namespace", spec.namespace, "--create-namespace", "--atomic", "--timeout", timeout]
    for path in [*values_paths, *extra_values]:
        argv += ["-f", path]
    for item in set_values:
        argv += ["--set", item]
    return argv


_VALUED_OPTIONS = {"--version", "--namespace", "--timeout", "-f", "--set"}


def _shell_script(spec: ClusterSpec, argv: list[str], local: set[str]) -> str:
    def word(token: str) -> str:
        return f'"$here/{token}"' if token in local else shlex.quote(token)

    lines = [" ".join(word(t) for t in argv[:5])]
    rest = argv[5:]
    while rest:
        take = 2 if rest[0] in _VALUED_OPTIONS else 1
        lines.append("  " + " ".join(word(t) for t in rest[:take]))
        rest = rest[take:]
    return (
        "#!/bin/sh\n"
        f"# Install or upgrade Kubecost {spec.chart_version} on cluster {spec.cluster}.\n"
        f"# First create namespace {spec.namespace}, then apply serviceaccounts.yaml and any *-secret.yaml.\n"
        "set -eu\n"
        'here=$(cd "$(dirname "$0")" && pwd)\n'
        "exec " + " \\\n".join(lines) + "\n"
    )


# --- everything ------------------------------------------------------------------------------------


def render_all(
    spec: ClusterSpec,
    *,
    extra_values: Sequence[str] = (),
    set_values: Sequence[str] = (),
    chart: str = DEFAULT_CHART,
    timeout: str = DEFAULT_TIMEOUT,
    product_key: str | None = None,
) -> list[RenderedFile]:
    """Every file `ampctl render` writes for one cluster, with the values files numbered in helm's order."""
    if product_key is not None and spec.product_key_secret is None:
        spec = dataclasses.replace(spec, product_key_secret=PRODUCT_KEY_SECRET)
    values = [dataclasses.replace(f, name=f"{i:02d}-{f.name}") for i, f in enumerate(values_files(spec), start=1)]
    argv = helm_command(spec, [f.name for f in values], extra_values, set_values, chart, timeout)
    files = list(values)
    if spec.federated:
        files.append(RenderedFile("object-store-secret.yaml", _dump(object_store_secret(spec)), SECRET_MODE))
    if product_key is not None:
        files.append(RenderedFile("product-key-secret.yaml", _dump(product_key_secret(spec, product_key)), SECRET_MODE))
    roles = irsa_roles(spec)
    accounts = [service_account(spec, sa, naming.role_arn(spec.account, role)) for sa, role in roles]
    files.append(RenderedFile("serviceaccounts.yaml", _dump(*accounts)))
    for sa, role in roles:
        files.append(RenderedFile(f"iam/{role}-trust.json", documents.to_json(documents.trust_policy(spec, sa))))
    if spec.federated and spec.bucket:
        policy = documents.s3_access_policy(spec.bucket)
        files.append(RenderedFile(f"iam/{naming.s3_policy_name(spec.cluster)}.json", documents.to_json(policy)))
        files.append(
            RenderedFile("iam/bucket-policy.json", documents.to_json(documents.bucket_tls_policy(spec.bucket)))
        )
    files.append(RenderedFile("recording-rules.yaml", recording_rules(spec.seed_recording_rules)))
    files.append(RenderedFile("helm-command.sh", _shell_script(spec, argv, {f.name for f in values}), SCRIPT_MODE))
    return files


def write_all(files: Iterable[RenderedFile], directory: Path) -> list[Path]:
    """Write rendered files under `directory` with their modes (Secrets never exist with wider ones)."""
    written = []
    for file in files:
        path = directory.joinpath(*file.name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, file.mode)
        os.fchmod(fd, file.mode)  # an existing file keeps its old mode otherwise
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(file.content)
        written.append(path)
    return written
