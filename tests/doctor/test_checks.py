"""ampctl doctor on the sandbox: a healthy fleet passes, each deliberate break fails the right check with the
right diagnosis (and nothing else turns red), --wait sees data arrive, and doctor changes nothing.

Breaks are applied in rounds, one break per cluster in each round (the three clusters are independent
for these breaks), then repaired with bootstrap / add-cluster. Remote write is judged on fresh samples
(--max-sample-age): a round that stops a cluster's remote write waits until its newest sample is older
than that, so the break shows although the samples written before it stay in AMP.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ampctl.doctor.trust import judge
from tests.conftest import TOOLS, Sandbox

PRIMARY, EAST, WEST = "sandbox-primary", "sandbox-east", "sandbox-west"
CLUSTERS = (PRIMARY, EAST, WEST)
QUERY = "arn:aws:iam::aws:policy/AmazonPrometheusQueryAccess"
WRITE = "arn:aws:iam::aws:policy/AmazonPrometheusRemoteWriteAccess"
MAX_AGE = 5  # seconds; the sandbox's feeder writes every 0.5 s
STALE_WAIT = MAX_AGE + 4
PROMQL = ("promql.amp.memory", "promql.amp.node-cost", "promql.kubecost.memory", "promql.kubecost.node-cost")


# --- helpers ------------------------------------------------------------------------------------


def doctor(sandbox: Sandbox, *args: str, cwd: Path | None = None) -> tuple[int, dict, str]:
    proc = sandbox.ampctl("doctor", "-o", "json", "--max-sample-age", f"{MAX_AGE}s", *args, cwd=cwd, timeout=240)
    assert proc.returncode in (0, 2), proc.stderr
    report = json.loads(proc.stdout)
    return proc.returncode, {c["cluster"]: c for c in report["clusters"]}, proc.stderr


def ids(cluster: dict, status: str) -> set[str]:
    return {c["id"] for c in cluster["checks"] if c["status"] == status}


def check(cluster: dict, check_id: str) -> dict:
    return next(c for c in cluster["checks"] if c["id"] == check_id)


def env(sandbox: Sandbox) -> dict[str, str]:
    """The environment `Sandbox.ampctl` runs the CLI with, for processes started in the background."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    out.update(sandbox.env, PATH=f"{TOOLS}{os.pathsep}{os.environ.get('PATH', '')}", AMPCTL_HELM=str(TOOLS / "helm3"))
    return out


def provision(sandbox: Sandbox, work: Path, *jobs: tuple[str, ...]) -> None:
    """bootstrap (primary) / add-cluster (others) for each (cluster, extra args...), all at once."""
    procs = []
    for cluster, *extra in jobs:
        command = "bootstrap" if cluster == PRIMARY else "add-cluster"
        args = [command, "--federated", "--yes", "--context", sandbox.context(cluster), *extra]
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "ampctl", *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env(sandbox),
                cwd=work,
            )  # fmt: skip
        )
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err


def repair(sandbox: Sandbox, work: Path) -> None:
    provision(sandbox, work, *((c,) for c in CLUSTERS))


def feeder(sandbox: Sandbox, cluster: str, paused: bool) -> None:
    body = json.dumps({"cluster": cluster, "paused": paused}).encode()
    request = urllib.request.Request(
        f"{sandbox.state.control_url}/_sandbox/feeder", data=body, method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def issuer(sandbox: Sandbox, cluster: str) -> str:
    return sandbox.client("eks").describe_cluster(name=cluster)["cluster"]["identity"]["oidc"]["issuer"]


def provider_arn(sandbox: Sandbox, cluster: str) -> str:
    return f"arn:aws:iam::{sandbox.state.account}:oidc-provider/{issuer(sandbox, cluster).removeprefix('https://')}"


def workspace_id(sandbox: Sandbox) -> str:
    return sandbox.client("amp").list_workspaces(alias="kubecost-amp")["workspaces"][0]["workspaceId"]


# --- the fleet ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fleet(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A federated fleet on the three sandbox clusters, built once for this module."""
    sandbox.reset()
    work = tmp_path_factory.mktemp("doctor-fleet")
    provision(sandbox, work, (PRIMARY,))  # the primary creates the workspace and the bucket
    provision(sandbox, work, (EAST,), (WEST,))
    return work


def test_healthy_fleet_passes_every_check_and_changes_nothing(sandbox: Sandbox, fleet: Path) -> None:
    before = sandbox.kube_mutations()
    sandbox.clear_aws_calls()
    code, clusters, stderr = doctor(sandbox, "--all", "--wait", "60s", cwd=fleet)
    assert sandbox.aws_mutations() == []
    assert sandbox.kube_mutations() == before
    assert set(clusters) == set(CLUSTERS)
    for name, cluster in clusters.items():
        assert ids(cluster, "fail") == set(), (name, [c for c in cluster["checks"] if c["status"] == "fail"])
        # --wait waits for the data still arriving, the first ETL upload included: nothing is left to warn of.
        assert ids(cluster, "warn") == set(), (name, [c for c in cluster["checks"] if c["status"] == "warn"])
        assert {i for i in ids(cluster, "skip") if not i.startswith("pod-identity.")} == set(), name  # IRSA fleet
        for item in cluster["checks"]:
            assert set(item) >= {"id", "area", "title", "status", "evidence", "fix"}
            assert item["evidence"] and len(item["evidence"]) < 400
        for promql in PROMQL:
            assert f'cluster_id="{name}"' in check(cluster, promql)["evidence"]
        assert "Kubecost reads fresh" in cluster["diagnosis"]["summary"]
        secret = check(cluster, "federated.secret")["evidence"]
        assert "bucket kubecost-etl-" in secret and "region us-east-2" in secret
        assert "aws_sdk_auth" not in secret and "type:" not in secret
    assert code == 0
    assert "checking sandbox-east" in stderr


def test_text_report_groups_areas_and_diagnoses(sandbox: Sandbox, fleet: Path) -> None:
    proc = sandbox.ampctl("doctor", "--context", sandbox.context(EAST), "--max-sample-age", f"{MAX_AGE}s", cwd=fleet)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    areas = ["Identity & target", "IRSA", "Release & values", "Workloads", "Logs", "Federated ETL", "PromQL"]
    positions = [text.index(area) for area in areas]
    assert positions == sorted(positions)
    assert "Diagnosis (sandbox-east)" in text and "no failing checks" in text


# --- breaks ---------------------------------------------------------------------------------------

# A break changes AWS or Kubernetes itself (None), or names a re-install: (cluster, extra args...).
Break = Callable[[Sandbox], "tuple[str, ...] | None"]


def detach_remote_write(sandbox: Sandbox) -> None:
    sandbox.client("iam").detach_role_policy(RoleName=f"kubecost-{PRIMARY}-prometheus-server", PolicyArn=WRITE)


def trust_other_service_account(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    role = f"kubecost-{EAST}-cost-analyzer"
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    key = next(k for k in condition if k.endswith(":sub"))
    condition[key] = "system:serviceaccount:kubecost:other"
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(trust))


def detach_query(sandbox: Sandbox) -> None:
    sandbox.client("iam").detach_role_policy(RoleName=f"kubecost-{WEST}-cost-analyzer", PolicyArn=QUERY)


def remove_annotation(sandbox: Sandbox) -> None:
    sandbox.kube(PRIMARY).patch_namespaced_service_account(
        "kubecost-cost-analyzer-amp", "kubecost", {"metadata": {"annotations": {"eks.amazonaws.com/role-arn": None}}}
    )


def sigv4_region_wrong(sandbox: Sandbox) -> tuple[str, ...]:
    return (EAST, "--set", "sigV4Proxy.region=us-west-2")


def endpoint_https(sandbox: Sandbox) -> tuple[str, ...]:
    return (
        WEST,
        "--set",
        f"global.amp.prometheusServerEndpoint=https://localhost:8005/workspaces/{workspace_id(sandbox)}",
    )


def delete_secret(sandbox: Sandbox) -> None:
    sandbox.kube(PRIMARY).delete_namespaced_secret("kubecost-object-store", "kubecost")


def delete_oidc_provider(sandbox: Sandbox) -> None:
    sandbox.client("iam").delete_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn(sandbox, EAST))


def other_cluster_id(sandbox: Sandbox) -> tuple[str, ...]:
    return (WEST, "--set", "prometheus.server.global.external_labels.cluster_id=other")


def restore_oidc_provider(sandbox: Sandbox) -> None:
    iam = sandbox.client("iam")
    arns = {p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]}
    if provider_arn(sandbox, EAST) not in arns:
        iam.create_open_id_connect_provider(
            Url=issuer(sandbox, EAST), ClientIDList=["sts.amazonaws.com"], ThumbprintList=["9" * 40]
        )


# round -> (breaks applied together, one per cluster; whether a remote write stops)
ROUNDS: dict[str, tuple[tuple[Break, ...], bool]] = {
    "iam": ((detach_remote_write, trust_other_service_account, detach_query), True),
    "query-path": ((remove_annotation, sigv4_region_wrong, endpoint_https), False),
    "identity-labels-secret": ((delete_secret, delete_oidc_provider, other_cluster_id), True),
}


@pytest.fixture(scope="module")
def rounds(sandbox: Sandbox, fleet: Path) -> Iterator[Callable[[str], tuple[int, dict]]]:
    """Run each round once (break, doctor --all, repair) the first time a test asks for it."""
    done: dict[str, tuple[int, dict] | BaseException] = {}

    def run(name: str) -> tuple[int, dict]:
        breaks, stops_writes = ROUNDS[name]
        try:
            installs = [job for job in (apply(sandbox) for apply in breaks) if job]
            provision(sandbox, fleet, *installs)
            if stops_writes:
                time.sleep(STALE_WAIT)
            before = sandbox.kube_mutations()
            sandbox.clear_aws_calls()
            code, clusters, _ = doctor(sandbox, "--all", cwd=fleet)
            assert sandbox.aws_mutations() == [], "doctor made a mutating AWS call"
            assert sandbox.kube_mutations() == before, "doctor made a mutating Kubernetes call"
            return code, clusters
        finally:
            restore_oidc_provider(sandbox)
            repair(sandbox, fleet)

    def result(name: str) -> tuple[int, dict]:
        if name not in done:
            try:
                done[name] = run(name)
            except Exception as exc:  # noqa: BLE001 - reported to every test of the round
                done[name] = exc
        outcome = done[name]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    yield result


# (round, cluster, the one failing check, text in its evidence, text in its fix, text in the diagnosis)
CASES = {
    "remote-write policy detached": (
        "iam", PRIMARY, "irsa.prometheus-server.policies", "AmazonPrometheusRemoteWriteAccess", "attaches it",
        "break is on the write side",
    ),
    "trust sub names another ServiceAccount": (
        "iam", EAST, "irsa.cost-analyzer.role", "sub is system:serviceaccount:kubecost:other",
        "rewrites the trust policy", "break is on the query side",
    ),
    "query policy detached": (
        "iam", WEST, "irsa.cost-analyzer.policies", "AmazonPrometheusQueryAccess", "attaches it",
        "break is on the query side",
    ),
    "ServiceAccount annotation removed": (
        "query-path", PRIMARY, "irsa.cost-analyzer.annotation", "has no eks.amazonaws.com/role-arn annotation",
        "annotates it", "break is on the query side",
    ),
    "sigV4Proxy.region wrong": (
        "query-path", EAST, "values.sigv4-proxy", "sigV4Proxy.region us-west-2", "sigV4Proxy.region=us-east-2",
        "break is on the query side",
    ),
    "prometheusServerEndpoint with https": (
        "query-path", WEST, "values.query-endpoint", "scheme https", "sets it to http://localhost:8005/workspaces/",
        "break is on the query side",
    ),
    "object-store Secret deleted": (
        "identity-labels-secret", PRIMARY, "federated.secret", "secret kubecost/kubecost-object-store not found",
        "re-creates it", "Data flows through both paths, but federated.secret failed",
    ),
    "OIDC provider deleted": (
        "identity-labels-secret", EAST, "irsa.oidc-provider", "no IAM OIDC provider", "associate-iam-oidc-provider",
        "Both sides are broken",
    ),
    "cluster_id differs from the cluster name": (
        "identity-labels-secret", WEST, "values.cluster-id", "cluster_id other differs from clusterName sandbox-west",
        "sets both to sandbox-west", 'fresh data under cluster_id="other"',
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_break_fails_the_right_check(rounds: Callable[[str], tuple[int, dict]], case: str) -> None:
    round_name, name, failing, evidence, fix, diagnosis = CASES[case]
    code, clusters = rounds(round_name)
    assert code == 2
    cluster = clusters[name]
    assert ids(cluster, "fail") == {failing}, [c for c in cluster["checks"] if c["status"] == "fail"]
    found = check(cluster, failing)
    assert evidence in found["evidence"]
    assert fix in found["fix"]
    assert diagnosis in cluster["diagnosis"]["summary"]
    assert found["fix"] in cluster["diagnosis"]["fixes"]
    for item in cluster["checks"]:  # consequences point at the cause instead of turning red
        if item.get("explained_by"):
            assert item["status"] == "warn" and item["explained_by"] == failing


def test_remote_write_break_shows_although_old_samples_stay(rounds: Callable[[str], tuple[int, dict]]) -> None:
    _, clusters = rounds("iam")
    memory = check(clusters[PRIMARY], "promql.amp.memory")
    assert memory["explained_by"] == "irsa.prometheus-server.policies"
    assert f"empty for the last {MAX_AGE}s: newest sample" in memory["evidence"]
    prometheus_log = check(clusters[PRIMARY], "logs.prometheus-server")
    assert "403" in prometheus_log["evidence"] and prometheus_log["explained_by"]


def test_cluster_id_break_names_the_label_values_found(rounds: Callable[[str], tuple[int, dict]]) -> None:
    _, clusters = rounds("identity-labels-secret")
    memory = check(clusters[WEST], "promql.amp.memory")
    assert "found " in memory["evidence"]
    assert 'cluster_id="other"' in memory["evidence"].split("found ", 1)[1]
    assert memory["explained_by"] == "values.cluster-id"


# --- --wait -----------------------------------------------------------------------------------------


def test_wait_sees_data_arrive(sandbox: Sandbox, fleet: Path, rounds: Callable[[str], tuple[int, dict]]) -> None:
    for name in ROUNDS:  # leave the fleet repaired before pausing a feeder
        rounds(name)
    feeder(sandbox, EAST, paused=True)
    try:
        time.sleep(STALE_WAIT)
        proc = subprocess.Popen(
            [sys.executable, "-m", "ampctl", "doctor", "-o", "json", "--context", sandbox.context(EAST),
             "--wait", "90s", "--max-sample-age", f"{MAX_AGE}s"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(sandbox), cwd=fleet,
        )  # fmt: skip
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "still empty" in line:
                break
    finally:
        feeder(sandbox, EAST, paused=False)
    out, rest = proc.communicate(timeout=120)
    stderr = "".join(seen) + rest
    assert 'still empty: container_memory_working_set_bytes{cluster_id="sandbox-east"} directly' in stderr
    assert "promql.amp.memory passes after" in stderr
    cluster = json.loads(out)["clusters"][0]
    for promql in PROMQL:
        assert check(cluster, promql)["status"] == "pass"


def test_workspace_deleted(sandbox: Sandbox, fleet: Path, rounds: Callable[[str], tuple[int, dict]]) -> None:
    for name in ROUNDS:  # the other rounds first: this break is not repaired
        rounds(name)
    amp = sandbox.client("amp")
    ws = workspace_id(sandbox)
    amp.delete_workspace(workspaceId=ws)
    try:
        code, clusters, _ = doctor(sandbox, "--all", cwd=fleet)
    finally:
        sandbox.reset()
    assert code == 2
    for name, cluster in clusters.items():
        assert ids(cluster, "fail") == {"identity.workspace"}, (name, ids(cluster, "fail"))
        found = check(cluster, "identity.workspace")
        assert f"{ws}, which does not exist" in found["evidence"]
        assert "ampctl bootstrap" in found["fix"]
        assert "workspace is missing" in cluster["diagnosis"]["summary"]
        assert check(cluster, "promql.amp.memory")["status"] == "skip"
        assert check(cluster, "promql.kubecost.memory")["explained_by"] == "identity.workspace"


# --- usage and the pure trust-policy judge ------------------------------------------------------------------


def test_bad_duration_is_a_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ampctl", "doctor", "--wait", "soon"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    assert "is not a duration" in proc.stderr


HOST = "oidc.eks.us-east-2.amazonaws.com/id/ABC"
PROVIDER = f"arn:aws:iam::123456789012:oidc-provider/{HOST}"
SUBJECT = "system:serviceaccount:kubecost:kubecost-cost-analyzer-amp"


def _trust(conditions: dict, provider: str = PROVIDER) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": conditions,
            }
        ],
    }


@pytest.mark.parametrize(
    ("conditions", "problem"),
    [
        ({"StringEquals": {f"{HOST}:sub": SUBJECT, f"{HOST}:aud": "sts.amazonaws.com"}}, None),
        ({"StringLike": {f"{HOST}:sub": "system:serviceaccount:kubecost:*"}}, None),
        ({"StringEquals": {f"https://{HOST}:sub": SUBJECT, f"https://{HOST}:aud": "sts.amazonaws.com"}}, "https://"),
        ({"StringEquals": {f"{HOST}:sub": "sts.amazonaws.com", f"{HOST}:aud": SUBJECT}}, "swapped"),
        ({"StringEquals": {f"{HOST}:sub": "system:serviceaccount:default:kubecost-cost-analyzer-amp"}}, "sub is"),
        ({"StringEquals": {f"{HOST}:sub": SUBJECT, f"{HOST}:aud": "sts"}}, "aud is sts"),
        ({"StringEquals": {f"{PROVIDER}:sub": SUBJECT}}, "is the provider ARN"),
        ({"StringEquals": {"oidc.eks.us-east-2.amazonaws.com/id/OTHER:sub": SUBJECT}}, "another issuer"),
    ],
)
def test_trust_policy_judge(conditions: dict, problem: str | None) -> None:
    verdict = judge(_trust(conditions), PROVIDER, HOST, SUBJECT)
    if problem is None:
        assert verdict.ok, verdict.problems
    else:
        assert any(problem in p for p in verdict.problems), verdict.problems


def test_trust_policy_judge_other_provider_and_no_web_identity() -> None:
    other = judge(_trust({}, provider=PROVIDER.replace("ABC", "XYZ")), PROVIDER, HOST, SUBJECT)
    assert any("not " + PROVIDER in p for p in other.problems)
    assert not judge({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}, PROVIDER, HOST, SUBJECT).ok


def test_the_sigv4_proxy_start_up_lines_are_not_errors() -> None:
    """aws-sigv4-proxy v1.9+ (cmd/aws-sigv4-proxy/main.go) logs these at start-up through logrus; only error and
    fatal levels, or lines without a level, are failures."""
    from ampctl.doctor.logs import SOURCES

    is_error = SOURCES["sigv4proxy"].is_error
    stamp = 'time="2026-01-01T00:00:00Z"'
    for line in (
        f'{stamp} level=info msg="Custom headers, values are redacted: []" CcustomHeadersParsed="[]"',
        f'{stamp} level=info msg="Stripping headers []" StripHeaders="[]"',
        f'{stamp} level=info msg="Duplicating headers []" DuplicateHeaders="[]"',
        f'{stamp} level=info msg="Listening on :8005" port=":8005"',
        f'{stamp} level=warning msg="Peer SSL Certificate validation is DISABLED"',
    ):
        assert not is_error(line), line
    assert is_error(f'{stamp} level=error msg="unable to proxy request" error="NoCredentialProviders: no valid"')
    assert is_error(f'{stamp} level=fatal msg="listen tcp :8005: bind: address already in use"')
    assert is_error("panic: runtime error: invalid memory address")
