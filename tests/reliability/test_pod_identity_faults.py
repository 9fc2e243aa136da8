"""Pod identity associations created under throttling, 5xx and lost answers: one association per ServiceAccount,
ampctl's and pointing at its role, and a re-run that has nothing to change."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Sandbox
from tests.reliability.world import PRIMARY, aws_calls, set_faults

SAS = {"kubecost-cost-analyzer-amp": "cost-analyzer", "kubecost-prometheus-server-amp": "prometheus-server"}


def test_association_creates_under_faults_end_right(clean: Sandbox, tmp_path: Path) -> None:
    eks = clean.client("eks")
    eks.create_addon(clusterName=PRIMARY, addonName="eks-pod-identity-agent")
    args = ("bootstrap", "--federated", "--identity", "pod-identity", "--yes", "--context", clean.context(PRIMARY))
    # Seed 3 draws throttle, lost, error first (bands of 0.25 each): every kind reaches the creates.
    set_faults(clean, throttle_rate=0.25, error_rate=0.25, lost_rate=0.25, seed=3,
               only="*/eks:CreatePodIdentityAssociation")  # fmt: skip
    first = clean.ampctl(*args, cwd=tmp_path)
    faults = {c["fault"] for c in aws_calls(clean) if c["action"] == "CreatePodIdentityAssociation" and c["fault"]}
    assert faults == {"throttle", "lost", "error"}, faults
    set_faults(clean)
    if first.returncode != 0:  # retries ran out: the re-run finishes the job
        again = clean.ampctl(*args, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
    found = eks.list_pod_identity_associations(clusterName=PRIMARY, namespace="kubecost")["associations"]
    assert sorted(a["serviceAccount"] for a in found) == sorted(SAS)
    for summary in found:
        association = eks.describe_pod_identity_association(
            clusterName=PRIMARY, associationId=summary["associationId"]
        )["association"]
        assert association["tags"]["managed-by"] == "ampctl"
        component = SAS[association["serviceAccount"]]
        assert association["roleArn"].endswith(f":role/kubecost-{PRIMARY}-{component}")
    clean.clear_aws_calls()
    last = clean.ampctl(*args, cwd=tmp_path)
    assert last.returncode == 0, last.stderr
    assert "nothing to change" in last.stderr
    assert clean.aws_mutations() == []
