"""What an update may change in a StatefulSet's spec, as the API server judges it.

Kubernetes, pkg/apis/apps/validation/validation.go, ValidateStatefulSetUpdate (kubernetes/kubernetes at commit
2dd1588c): the new spec, with `replicas`, `ordinals`, `template`, `updateStrategy`, `minReadySeconds` and
`persistentVolumeClaimRetentionPolicy` taken from the old one, must be `apiequality.Semantic.DeepEqual` to the old
spec, else "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template',
'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden". So `selector`,
`serviceName`, `podManagementPolicy`, `revisionHistoryLimit` and `volumeClaimTemplates` (names, sizes, access modes,
storage class) stay as created: a chart that changes one fails `helm upgrade` until the StatefulSet is deleted.

Both specs are compared after the API server's defaults (admission._workload, and `volumeMode: Filesystem` of a
claim, core/v1 SetDefaults_PersistentVolumeClaimSpec), as it compares them. Semantic.DeepEqual (apimachinery
third_party/forked/golang/reflect, deep_equal.go) holds an empty slice or map equal to a nil one, so `annotations: {}`
equals no annotations, and an absent pointer equals `null`. A claim template's `apiVersion`/`kind` are not part of
the compared Go struct's data (they are the embedded object's TypeMeta, which the internal conversion does not
carry) and its `status` is the server's; both are left out. Assumption (no source read): `creationTimestamp: null`
in a template's metadata equals none, as Semantic.DeepEqual compares a zero time.Time with a zero one.
"""

from __future__ import annotations

from typing import Any

MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "minReadySeconds",
    "persistentVolumeClaimRetentionPolicy",
)
FORBIDDEN = (
    "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
)


def _semantic(node: Any) -> Any:
    """`node` without nulls, empty maps and empty lists (Semantic.DeepEqual: nil equals empty)."""
    if isinstance(node, dict):
        kept = {k: _semantic(v) for k, v in node.items()}
        return {k: v for k, v in kept.items() if v not in (None, {}, [])}
    if isinstance(node, list):
        return [_semantic(item) for item in node]
    return node


def _claim(template: Any) -> Any:
    if not isinstance(template, dict):
        return template
    claim = {k: v for k, v in template.items() if k not in ("apiVersion", "kind", "status")}
    meta = {k: v for k, v in (claim.get("metadata") or {}).items() if k != "creationTimestamp"}
    spec = dict(claim.get("spec") or {})
    spec.setdefault("volumeMode", "Filesystem")
    return {**claim, "metadata": meta, "spec": spec}


def fixed_part(spec: dict[str, Any]) -> Any:
    """What of a (defaulted) StatefulSet spec an update must leave as it is."""
    fixed = {k: v for k, v in spec.items() if k not in MUTABLE}
    fixed["volumeClaimTemplates"] = [_claim(t) for t in fixed.get("volumeClaimTemplates") or []]
    return _semantic(fixed)


def changed_fields(old_spec: dict[str, Any], new_spec: dict[str, Any]) -> list[str]:
    """The spec fields an update changes that the API server keeps as created (empty: the update is allowed)."""
    old, new = fixed_part(old_spec), fixed_part(new_spec)
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
