"""From what the user gave (flags, then the fleet file) to a validated ProvisionRequest; defaults live in it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ampctl.errors import AmpctlError
from ampctl.provision.request import ProvisionRequest

if TYPE_CHECKING:
    from ampctl.fleet import Fleet

FIELDS = {f.name for f in dataclasses.fields(ProvisionRequest)}


def read_product_key(path: str | Path | None) -> str | None:
    if path is None:
        return None
    import json

    try:
        text = Path(path).read_text().strip()
    except OSError as exc:
        raise AmpctlError(f"cannot read --product-key-file {path}: {exc.strerror}", "check the path") from exc
    if text.startswith("{"):
        try:
            text = str(json.loads(text)["key"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AmpctlError(f'{path} is JSON but has no "key"', 'write {"key": "..."} or the bare key') from exc
    if not text:
        raise AmpctlError(f"--product-key-file {path} is empty", "put the product key in the file")
    return text


def values_files(paths: tuple[str, ...]) -> tuple[str, ...]:
    """-f/--values takes Helm values files only; a fleet file there is refused with the option that takes it."""
    from ampctl.fleet import is_fleet_file

    for path in paths:
        if is_fleet_file(path):
            raise AmpctlError(
                f"{path} is a fleet file (kind: Fleet), and -f/--values takes Helm values files",
                f"pass it with --fleet {path} (-F), or leave it out: ./ampctl.yaml is found automatically",
            )
    return paths


def build_request(primary: bool, given: dict[str, Any], fleet: Fleet | None) -> ProvisionRequest:
    """Flags win over the fleet file, which wins over the defaults; names and the version are validated first."""
    from ampctl import validate
    from ampctl.versions import check_identity, check_mode, check_usable

    chosen = {k: v for k, v in given.items() if v is not None}
    from_file = fleet.given() if fleet is not None else {}
    settings = {**from_file, **chosen}
    product_key = read_product_key(settings.pop("product_key_file", None))
    request = ProvisionRequest(
        primary=primary,
        **{k: v for k, v in settings.items() if k in FIELDS},
        product_key=product_key,
        fleet=fleet.name if fleet is not None else None,
        given=frozenset(settings),
    )
    request = dataclasses.replace(request, extra_values=values_files(tuple(request.extra_values)))
    # An agent's mode may still come from the fleet's recorded shape; the spec checks it again then.
    if "federated" not in request.given and not request.line.on_amp:
        request = dataclasses.replace(request, federated=True)  # 3.x keeps every cluster's data in the bucket
    mode_known = primary or "federated" in request.given
    line = check_mode(request.chart_version, request.federated) if mode_known else check_usable(request.chart_version)
    check_identity(request.chart_version, request.identity)
    validate.workspace_alias(request.alias)
    validate.namespace(request.namespace)
    validate.release_name(request.release)
    if request.bucket:
        validate.bucket_name(request.bucket)
    if request.storage_class is not None:
        validate.storage_class(request.storage_class)
        if request.create_storage_class:
            raise AmpctlError(
                "--storage-class and --create-storage-class both name the class of Kubecost's volumes",
                "keep one: --create-storage-class makes and uses kubecost-auto-ebs",
            )
    if request.workspace_role_arn:
        validate.role_arn(request.workspace_role_arn)
    from ampctl.provision.builder import refused_on_3x

    refused_3x = refused_on_3x(request)
    if refused_3x is not None:
        raise refused_3x
    refused = not request.federated and "federated" in request.given
    if request.kms_key is not None:
        validate.kms_key(request.kms_key)
        if not request.federated and mode_known:
            raise AmpctlError("--kms-key applies to the federated ETL bucket only", "add --federated or drop --kms-key")
    if product_key and (not line.product_key or refused):
        raise AmpctlError("--product-key-file applies to 2.x federated installs only", "drop it or add --federated")
    return request
