"""The whole tree `ampctl render` writes for one cluster, and writing it with safe file modes."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from ampctl import documents, naming
from ampctl.render.command import DEFAULT_TIMEOUT, helm_command, shell_script
from ampctl.render.objects import (
    irsa_roles,
    object_store_secret,
    pod_identity_note,
    product_key_secret,
    recording_rules,
    service_account,
)
from ampctl.render.templating import SCRIPT_MODE, SECRET_MODE, RenderedFile, dump
from ampctl.render.values import values_files
from ampctl.spec import DEFAULT_CHART, PRODUCT_KEY_SECRET, ClusterSpec


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
    if spec.line.chart is not None and chart == DEFAULT_CHART:
        chart = spec.line.chart  # the default chart is the line's: 3.x is the `kubecost` chart
    argv = helm_command(spec, [f.name for f in values], extra_values, set_values, chart, timeout)
    files = list(values)
    if spec.federated:
        files.append(RenderedFile("object-store-secret.yaml", dump(object_store_secret(spec)), SECRET_MODE))
    if product_key is not None:
        files.append(RenderedFile("product-key-secret.yaml", dump(product_key_secret(spec, product_key)), SECRET_MODE))
    roles = irsa_roles(spec)
    accounts = [
        service_account(spec, sa, naming.role_arn(spec.account, role, region=spec.region)) for sa, role in roles
    ]
    files.append(RenderedFile("serviceaccounts.yaml", dump(*accounts)))
    for sa, role in roles:
        files.append(RenderedFile(f"iam/{role}-trust.json", documents.to_json(documents.role_trust(spec, sa))))
    files += _workspace_account_documents(spec)
    if spec.pod_identity:
        files.append(RenderedFile("pod-identity-associations.md", pod_identity_note(spec)))
    if spec.federated and spec.bucket:
        policy = documents.s3_access_policy(spec.bucket, region=spec.region, kms_key=spec.kms_key)
        files.append(RenderedFile(f"iam/{naming.s3_policy_name(spec.cluster)}.json", documents.to_json(policy)))
        files.append(
            RenderedFile(
                "iam/bucket-policy.json",
                documents.to_json(documents.bucket_tls_policy(spec.bucket, region=spec.region)),
            )
        )
    if spec.line.on_amp:  # 3.x has no AMP workspace to record rules in
        files.append(RenderedFile("recording-rules.yaml", recording_rules(spec.seed_recording_rules)))
    files.append(RenderedFile("helm-command.sh", shell_script(spec, argv, {f.name for f in values}), SCRIPT_MODE))
    return files


def _workspace_account_documents(spec: ClusterSpec) -> list[RenderedFile]:
    """With the workspace in another account: each role there trusts exactly its cluster role, which may assume it."""
    if not spec.workspace_account:
        return []
    files = []
    for component in naming.WORKSPACE_ROLES:
        cluster_role = naming.role_arn(spec.account, naming.role_name(spec.cluster, component), region=spec.region)
        name = naming.workspace_role_name(spec.cluster, component)
        target = naming.role_arn(spec.workspace_account, name, region=spec.region)
        trust = documents.to_json(documents.role_trust_policy(cluster_role, tag_session=spec.pod_identity))
        files.append(RenderedFile(f"iam/workspace-account/{name}-trust.json", trust))
        assume = documents.to_json(documents.assume_role_policy(target, tag_session=spec.pod_identity))
        files.append(
            RenderedFile(f"iam/{naming.role_name(spec.cluster, component)}-{naming.ASSUME_POLICY}.json", assume)
        )
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
