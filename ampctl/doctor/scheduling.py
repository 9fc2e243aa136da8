"""Storage and scheduling: the release's claims Bound and its pods placed and starting, with the diagnoses and fixes
the install's watch gives (ampctl.kube.trouble: one home for what a stuck claim or pod means)."""

from __future__ import annotations

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.model import Result, fail, ok

KUBE = ("identity.kubernetes",)


def claims(facts: Facts, findings: Findings) -> Result:
    from ampctl.kube.trouble import claim_causes

    listed = facts.kube.list("persistent_volume_claim", facts.namespace)
    if not listed:
        return ok(f"no PersistentVolumeClaims in {facts.namespace}")
    pending = [c for c in listed if (c.get("status") or {}).get("phase") != "Bound"]
    if not pending:
        classes = sorted({str((c.get("spec") or {}).get("storageClassName") or "-") for c in listed})
        return ok(f"{len(listed)} PersistentVolumeClaim(s) Bound (StorageClass {', '.join(classes)})")
    causes = claim_causes(pending, facts.kube.list("event", facts.namespace))
    if causes:
        cause = causes[0]
        return fail(f"{len(pending)} of {len(listed)} not Bound: {cause.what}: {cause.reason}: {cause.message}",
                    cause.fix)  # fmt: skip
    first = pending[0]["metadata"]["name"]
    return fail(
        f"{len(pending)} of {len(listed)} PersistentVolumeClaim(s) not Bound: {first} is Pending",
        f"`kubectl -n {facts.namespace} describe pvc {first}`",
    )


def pods(facts: Facts, findings: Findings) -> Result:
    from ampctl.kube.trouble import pod_causes

    listed = facts.kube.list("pod", facts.namespace)
    causes = pod_causes(listed, facts.kube.list("event", facts.namespace))
    if causes:
        cause = causes[0]
        more = f" (and {len(causes) - 1} more)" if len(causes) > 1 else ""
        return fail(f"{cause.reason}: {cause.what}: {cause.message}{more}", cause.fix)
    return ok(f"{len(listed)} pod(s) placed; none unschedulable, failing to pull its image or crash-looping")


SPECS = [
    CheckSpec("storage.claims", "workloads", "PersistentVolumeClaims bound", claims, KUBE),
    CheckSpec("scheduling.pods", "workloads", "pods scheduled, pulled and not crash-looping", pods, KUBE),
]
