"""EKS Pod Identity for the sandbox (moto has neither API): pod identity associations and the
eks-pod-identity-agent add-on, with EKS's request and response shapes and error codes.

The add-on is CREATING when made and ACTIVE `ACTIVATION_SECONDS` later, as EKS reports it while the agent's
DaemonSet rolls out. A create that repeats a clientRequestToken answers what the first one made.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from ampctl.sandbox.aws.ops import RequestInfo

AGENT_ADDON = "eks-pod-identity-agent"
AGENT_VERSION = "v1.3.4-eksbuild.1"
# The Amazon EBS CSI driver add-on (EKS User Guide, "Amazon EBS CSI driver": add-on name aws-ebs-csi-driver, its
# controller's ServiceAccount kube-system/ebs-csi-controller-sa needs the AmazonEBSCSIDriverPolicy permissions).
# Assumption: the version string; any current eksbuild of the driver behaves the same here.
EBS_CSI_ADDON = "aws-ebs-csi-driver"
ADDON_VERSIONS = {AGENT_ADDON: AGENT_VERSION, EBS_CSI_ADDON: "v1.44.0-eksbuild.1"}
ACTIVATION_SECONDS = 1.0
OPERATIONS = frozenset({
    "CreatePodIdentityAssociation", "DescribePodIdentityAssociation", "ListPodIdentityAssociations",
    "UpdatePodIdentityAssociation", "DeletePodIdentityAssociation",
    "CreateAddon", "DescribeAddon", "DeleteAddon", "ListAddons",
})  # fmt: skip

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")

Answer = tuple[int, list[tuple[str, str]], bytes]
Key = tuple[str, str, str]  # account, region, cluster
AddonKey = tuple[str, str, str, str]  # account, region, cluster, add-on name


class EksError(Exception):
    def __init__(self, status: int, code: str, message: str, **fields: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def _answer(status: int, payload: dict[str, Any]) -> Answer:
    body = json.dumps(payload).encode()
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    return status, headers + [("Content-Length", str(len(body)))], body


def _error(exc: EksError) -> Answer:
    status, headers, body = _answer(exc.status, {"message": exc.message, **exc.fields})
    return status, headers + [("x-amzn-ErrorType", exc.code)], body


def _invalid(message: str, cluster: str) -> EksError:
    return EksError(400, "InvalidParameterException", message, clusterName=cluster)


class PodIdentityState:
    """Every account's associations and agent add-ons, behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.associations: dict[Key, dict[str, dict[str, Any]]] = {}
        self.addons: dict[AddonKey, dict[str, Any]] = {}
        self._tokens: dict[tuple[str, str], str] = {}

    def clear(self, account: str) -> None:
        with self._lock:
            for key in [k for k in self.associations if k[0] == account]:
                del self.associations[key]
            for addon_key in [k for k in self.addons if k[0] == account]:
                del self.addons[addon_key]
            for token in [t for t in self._tokens if t[0] == account]:
                del self._tokens[token]

    # what the Kubecost stand-in asks

    def agent_status(self, account: str, region: str, cluster: str) -> str | None:
        return self.addon_status(account, region, cluster, AGENT_ADDON)

    def addon_status(self, account: str, region: str, cluster: str, name: str) -> str | None:
        with self._lock:
            addon = self.addons.get((account, region, cluster, name))
            return None if addon is None else self._status(addon)

    def addon(self, account: str, region: str, cluster: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            found = self.addons.get((account, region, cluster, name))
            return dict(found) if found is not None else None

    def association_for(
        self, account: str, region: str, cluster: str, namespace: str, sa: str
    ) -> dict[str, Any] | None:
        with self._lock:
            for item in self.associations.get((account, region, cluster), {}).values():
                if item["namespace"] == namespace and item["serviceAccount"] == sa:
                    return dict(item)
        return None

    # the API

    def handle(self, environ: dict[str, Any], info: RequestInfo, body: bytes, account: str) -> Answer:
        parts = str(environ.get("PATH_INFO", "")).strip("/").split("/")
        cluster = parts[1] if len(parts) > 1 else ""
        query = {k: v[0] for k, v in parse_qs(str(environ.get("QUERY_STRING", ""))).items()}
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = {}
        try:
            cluster_arn = _cluster_arn(account, info.region, cluster)
            key = (account, info.region, cluster)
            with self._lock:
                handler = getattr(self, "_" + re.sub(r"(?<!^)([A-Z])", r"_\1", info.action).lower())
                result: dict[str, Any] = handler(key, cluster_arn, parts, query, payload)
            return _answer(200, result)
        except EksError as exc:
            return _error(exc)

    @staticmethod
    def _status(addon: dict[str, Any]) -> str:
        if addon["status"] == "CREATING" and time.time() - addon["createdAt"] >= ACTIVATION_SECONDS:
            addon["status"] = "ACTIVE"
        return str(addon["status"])

    def _table(self, key: Key) -> dict[str, dict[str, Any]]:
        return self.associations.setdefault(key, {})

    def _one(self, key: Key, association_id: str) -> dict[str, Any]:
        found = self._table(key).get(association_id)
        if found is None:
            raise EksError(
                404, "ResourceNotFoundException", f"No Pod Identity Association found for id {association_id}"
            )
        return found

    def _create_pod_identity_association(
        self, key: Key, arn: str, parts: list[str], q: dict[str, str], p: dict[str, Any]
    ) -> dict[str, Any]:
        cluster = key[2]
        namespace, sa, role = str(p.get("namespace", "")), str(p.get("serviceAccount", "")), str(p.get("roleArn", ""))
        if not _LABEL.match(namespace) or len(namespace) > 63:
            raise _invalid(f"Invalid namespace: {namespace!r} is not a valid Kubernetes namespace name", cluster)
        if not _SUBDOMAIN.match(sa) or len(sa) > 253:
            raise _invalid(f"Invalid service account: {sa!r} is not a valid Kubernetes service account name", cluster)
        if not _ROLE_ARN.match(role):
            raise _invalid(f"Invalid role ARN: {role!r}", cluster)
        token = (key[0], str(p.get("clientRequestToken") or ""))
        if token[1] and token in self._tokens and self._tokens[token] in self._table(key):
            return {"association": dict(self._table(key)[self._tokens[token]])}
        for existing in self._table(key).values():
            if existing["namespace"] == namespace and existing["serviceAccount"] == sa:
                raise EksError(
                    409,
                    "ResourceInUseException",
                    f"Association already exists: {existing['associationId']}",
                    clusterName=cluster,
                )
        association_id = "a-" + "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(17))
        now = time.time()
        item = {
            "clusterName": cluster, "namespace": namespace, "serviceAccount": sa, "roleArn": role,
            "associationArn": f"{arn.replace(':cluster/', ':podidentityassociation/')}/{association_id}",
            "associationId": association_id, "tags": dict(p.get("tags") or {}), "createdAt": now, "modifiedAt": now,
            "disableSessionTags": bool(p.get("disableSessionTags", False)),
        }  # fmt: skip
        self._table(key)[association_id] = item
        if token[1]:
            self._tokens[token] = association_id
        return {"association": dict(item)}

    def _describe_pod_identity_association(
        self, key: Key, arn: str, parts: list[str], q: dict[str, str], p: dict[str, Any]
    ) -> dict[str, Any]:
        return {"association": dict(self._one(key, parts[3]))}

    def _list_pod_identity_associations(
        self, key: Key, arn: str, parts: list[str], q: dict[str, str], p: dict[str, Any]
    ) -> dict[str, Any]:
        keep = ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId")
        items = [
            {k: a[k] for k in keep}
            for a in self._table(key).values()
            if q.get("namespace") in (None, a["namespace"]) and q.get("serviceAccount") in (None, a["serviceAccount"])
        ]
        return {"associations": items}

    def _update_pod_identity_association(
        self, key: Key, arn: str, parts: list[str], q: dict[str, str], p: dict[str, Any]
    ) -> dict[str, Any]:
        item = self._one(key, parts[3])
        if "roleArn" in p:
            if not _ROLE_ARN.match(str(p["roleArn"])):
                raise _invalid(f"Invalid role ARN: {p['roleArn']!r}", key[2])
            item["roleArn"] = str(p["roleArn"])
        item["modifiedAt"] = time.time()
        return {"association": dict(item)}

    def _delete_pod_identity_association(
        self, key: Key, arn: str, parts: list[str], q: dict[str, str], p: dict[str, Any]
    ) -> dict[str, Any]:
        item = self._one(key, parts[3])
        del self._table(key)[parts[3]]
        return {"association": dict(item)}

    def _addon(self, key: Key, name: str) -> dict[str, Any]:
        addon = self.addons.get((*key, name))
        if addon is None:
            raise EksError(
                404,
                "ResourceNotFoundException",
                f"No addon: {name} found in cluster: {key[2]}",
                clusterName=key[2],
                addonName=name,
            )
        self._status(addon)
        return addon

    def _create_addon(
        self, key: Key, arn: str, parts: list[str], q: dict[str, str], p: dict[str, Any]
    ) -> dict[str, Any]:
        name = str(p.get("addonName", ""))
        if name not in ADDON_VERSIONS:
            raise _invalid(
                f"Addon {name} specified is not supported in the sandbox ({', '.join(ADDON_VERSIONS)})", key[2]
            )
        if (*key, name) in self.addons:
            raise EksError(409, "ResourceInUseException", "Addon already exists.", clusterName=key[2], addonName=name)
        role = str(p.get("serviceAccountRoleArn") or "")
        if role and not _ROLE_ARN.match(role):
            raise _invalid(f"Invalid role ARN: {role!r}", key[2])
        now = time.time()
        addon = {
            "addonName": name, "clusterName": key[2], "status": "CREATING", "addonVersion": ADDON_VERSIONS[name],
            "health": {"issues": []}, "addonArn": f"{arn.replace(':cluster/', ':addon/')}/{name}/{uuid.uuid4()}",
            "createdAt": now, "modifiedAt": now, "tags": dict(p.get("tags") or {}),
        }  # fmt: skip
        if role:
            addon["serviceAccountRoleArn"] = role
        if p.get("configurationValues"):
            addon["configurationValues"] = str(p["configurationValues"])
        self.addons[(key[0], key[1], key[2], name)] = addon
        return {"addon": dict(addon)}

    def _describe_addon(
        self, key: Key, arn: str, parts: list[str], q: dict[str, str], p: dict[str, Any]
    ) -> dict[str, Any]:
        return {"addon": dict(self._addon(key, parts[3]))}

    def _delete_addon(
        self, key: Key, arn: str, parts: list[str], q: dict[str, str], p: dict[str, Any]
    ) -> dict[str, Any]:
        addon = dict(self._addon(key, parts[3]))
        del self.addons[(key[0], key[1], key[2], parts[3])]
        return {"addon": {**addon, "status": "DELETING"}}

    def _list_addons(
        self, key: Key, arn: str, parts: list[str], q: dict[str, str], p: dict[str, Any]
    ) -> dict[str, Any]:
        return {"addons": sorted(k[3] for k in self.addons if k[:3] == key)}


def _cluster_arn(account: str, region: str, cluster: str) -> str:
    from moto.eks.models import eks_backends

    found = eks_backends[account][region].clusters.get(cluster)
    if found is None:
        raise EksError(404, "ResourceNotFoundException", f"No cluster found for name: {cluster}.", clusterName=cluster)
    return str(found.arn)
