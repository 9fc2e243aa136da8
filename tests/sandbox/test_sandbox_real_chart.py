"""The session sandbox serving the real charts: 2.9.7 bootstrapped by ampctl on the primary. cost-model finds
the object-store Secret where 2.9 mounts it (`global.federatedStorage.existingSecret`) and uploads its
ETL; the finops-agent runs as the cost-analyzer's ServiceAccount (ampctl's values) and writes to the bucket,
and its writes fail as on EKS under the subchart's own ServiceAccount, which has no IAM role."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from tests.conftest import Sandbox, ok
from tests.sandbox.real_charts import needs_real_charts

pytestmark = needs_real_charts
PRIMARY, NS = "sandbox-primary", "kubecost"
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 60) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


@pytest.fixture()
def primary(sandbox: Sandbox, tmp_path: Path) -> Iterator[Sandbox]:
    sandbox.reset()
    ok(sandbox.ampctl("bootstrap", "--federated", "--yes", "--context", sandbox.context(PRIMARY), cwd=tmp_path))
    yield sandbox
    sandbox.reset()


def helm(sandbox: Sandbox, helm3: str, *args: str) -> str:
    where = ["--kubeconfig", sandbox.state.kubeconfig, "--kube-context", sandbox.context(PRIMARY), "-n", NS]
    done = subprocess.run([helm3, *args, *where], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return done.stdout


def own_account_for_the_agent(sandbox: Sandbox, helm3: str) -> None:
    """Back to the subchart's default: the finops-agent creates its own ServiceAccount, with no IAM role."""
    repo = ["--repo", sandbox.state.chart_repo, "--version", "2.9.7", "--reuse-values"]
    sets = ["--set", "finopsagent.serviceAccount.create=true", "--set", "finopsagent.serviceAccount.name="]
    helm(sandbox, helm3, "upgrade", "kubecost", "cost-analyzer", *repo, *sets, "--wait", "--timeout", "2m")


def objects(sandbox: Sandbox, prefix: str) -> list[str]:
    bucket = f"kubecost-etl-{sandbox.state.account}-{sandbox.state.region}"
    listed = sandbox.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def pod_log(sandbox: Sandbox, selector: str, container: str) -> str:
    """The log of the one running pod the selector finds ("" while there is not exactly one)."""
    core = sandbox.kube(PRIMARY)
    pods = core.list_namespaced_pod(NS, label_selector=selector).items
    running = [p for p in pods if p.status.phase == "Running" and not p.metadata.deletion_timestamp]
    if len(running) != 1:
        return ""
    return str(core.read_namespaced_pod_log(running[0].metadata.name, NS, container=container))


def agent_log(sandbox: Sandbox) -> str:
    return pod_log(sandbox, "app.kubernetes.io/name=finopsagent", "finops-agent")


def test_2_9_etl_and_the_finops_agent_on_the_sandbox(sandbox: Sandbox, helm3: str, tmp_path: Path) -> None:
    sandbox.reset()
    bootstrap = ["bootstrap", "--federated", "--yes", "--kubecost-version", "2.9.7"]
    ok(sandbox.ampctl(*bootstrap, "--context", sandbox.context(PRIMARY), cwd=tmp_path))
    bucket = f"kubecost-etl-{sandbox.state.account}-{sandbox.state.region}"
    saved = f"ETL: Allocation[1d]: saved s3://{bucket}/federated/{PRIMARY}/"
    wait_for("2.9's cost-model ETL upload", lambda: saved in pod_log(sandbox, "app=cost-analyzer", "cost-model"))
    # ampctl's values run the finops-agent as the cost-analyzer's ServiceAccount: its role reaches the bucket.
    written = wait_for("the finops-agent's export", lambda: objects(sandbox, f"finops-agent/{PRIMARY}/"))
    assert written[0].startswith(f"finops-agent/{PRIMARY}/export/1d/")
    assert f"wrote s3://{bucket}/finops-agent/{PRIMARY}/" in agent_log(sandbox)

    own_account_for_the_agent(sandbox, helm3)  # the chart's default account has no IAM role: fails as on EKS
    wait_for("the finops-agent's failed write", lambda: "NoCredentialProviders" in agent_log(sandbox))
    sandbox.reset()


def test_the_aggregator_reads_the_bucket_with_its_role(primary: Sandbox) -> None:
    sandbox, iam = primary, primary.client("iam")
    prefix = f"s3://kubecost-etl-{sandbox.state.account}-{sandbox.state.region}/federated/"
    ingested = f"aggregator: ingested 1 ETL file(s) of 1 cluster(s) ({PRIMARY}) from {prefix}"
    aggregator = "app.kubernetes.io/name=aggregator"
    wait_for("the aggregator's read", lambda: ingested in pod_log(sandbox, aggregator, "aggregator"))

    role = f"kubecost-{PRIMARY}-cost-analyzer"
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    s3_policy = next(p["PolicyArn"] for p in attached if "s3" in p["PolicyName"])
    iam.detach_role_policy(RoleName=role, PolicyArn=s3_policy)
    denied = f"ERR aggregator: reading federated storage: AccessDenied: User: arn:aws:sts::{sandbox.state.account}:"
    wait_for("the aggregator's AccessDenied", lambda: denied in pod_log(sandbox, aggregator, "aggregator"))
    assert "s3:ListBucket" in pod_log(sandbox, aggregator, "aggregator").rsplit(denied, 1)[1]
