"""`ampctl sandbox up | status | env | down` as a user runs them, with kubectl, helm 3/4 and boto3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import TOOLS


def _ampctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ampctl", *args],
        capture_output=True,
        text=True,
        env=env or dict(os.environ),
        timeout=120,
    )


def _exports(script: str) -> dict[str, str]:
    """What `eval "$(ampctl sandbox env)"` leaves in a shell's environment."""
    proc = subprocess.run(
        ["bash", "-c", f"{script}\nenv -0"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ["PATH"]},
    )
    pairs = [item.split("=", 1) for item in proc.stdout.split("\0") if "=" in item]
    return {k: v for k, v in pairs if k.startswith(("AWS_", "KUBECONFIG", "AMPCTL_"))}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][0] != "Z"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, prometheus_bin: str) -> dict:
    state_dir = tmp_path_factory.mktemp("cli-sandbox")
    up = ("sandbox", "up", "--state-dir", str(state_dir), "--clusters", "2", "--clock-offset", "1h", "-o", "json")
    proc = _ampctl(*up)
    assert proc.returncode == 0, proc.stderr
    state = json.loads(proc.stdout)
    env_script = _ampctl("sandbox", "env", "--state-dir", str(state_dir)).stdout
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **_exports(env_script)}
    env["PATH"] = f"{TOOLS}{os.pathsep}{os.environ['PATH']}"
    yield {"state_dir": state_dir, "state": state, "env": env}
    _ampctl("sandbox", "down", "--state-dir", str(state_dir))


def test_up_is_idempotent_and_status_reports(running: dict) -> None:
    again = _ampctl("sandbox", "up", "--state-dir", str(running["state_dir"]), "-o", "json")
    assert again.returncode == 0
    assert json.loads(again.stdout)["status"] == "already running"
    assert json.loads(again.stdout)["pid"] == running["state"]["pid"]
    status = _ampctl("sandbox", "status", "--state-dir", str(running["state_dir"]), "-o", "json")
    assert json.loads(status.stdout)["running"] is True


def test_env_points_kubectl_at_the_sandbox(running: dict) -> None:
    env = running["env"]
    assert env["KUBECONFIG"].startswith(str(running["state_dir"]))
    out = subprocess.run(["kubectl", "config", "get-contexts", "-o", "name"], capture_output=True, text=True, env=env)
    assert sorted(out.stdout.split()) == [
        "arn:aws:eks:us-east-2:123456789012:cluster/sandbox-east",
        "arn:aws:eks:us-east-2:123456789012:cluster/sandbox-primary",
    ]
    ns = subprocess.run(["kubectl", "get", "ns", "-o", "name"], capture_output=True, text=True, env=env)
    assert "namespace/default" in ns.stdout.split()


@pytest.mark.parametrize("helm", ["helm3", "helm4"])
def test_helm_installs_the_stand_in_chart_from_the_sandbox_repo(running: dict, helm: str) -> None:
    env = running["env"]
    context = "arn:aws:eks:us-east-2:123456789012:cluster/sandbox-east"
    release = f"try-{helm}"
    proc = subprocess.run(
        [
            helm, "upgrade", "--install", release, "cost-analyzer", "--repo", env["AMPCTL_CHART_REPO"],
            "--version", "2.8.7", "--namespace", release, "--create-namespace", "--kube-context", context,
            "--set", "prometheus.server.global.external_labels.cluster_id=sandbox-east", "--wait", "--timeout", "60s",
        ],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    listed = subprocess.run(
        [helm, "list", "-n", release, "--kube-context", context, "-o", "json"], capture_output=True, text=True, env=env
    )
    assert json.loads(listed.stdout)[0]["status"] == "deployed"


def test_boto3_reaches_all_five_services_and_a_signed_query_works(running: dict) -> None:
    import urllib.request

    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    env = running["env"]
    session = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_REGION"],
    )
    endpoint = env["AWS_ENDPOINT_URL"]
    assert session.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"] == "123456789012"
    assert session.client("eks", endpoint_url=endpoint).list_clusters()["clusters"]
    assert session.client("iam", endpoint_url=endpoint).list_open_id_connect_providers()["OpenIDConnectProviderList"]
    session.client("s3", endpoint_url=endpoint).create_bucket(
        Bucket="sandbox-cli-test", CreateBucketConfiguration={"LocationConstraint": env["AWS_REGION"]}
    )
    ws = session.client("amp", endpoint_url=endpoint).create_workspace(alias="cli-test")["workspaceId"]
    url = f"{env['AMPCTL_AMP_ENDPOINT']}/workspaces/{ws}/api/v1/query?query=vector(1)"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]), "aps", env["AWS_REGION"]).add_auth(
        request
    )
    with urllib.request.urlopen(urllib.request.Request(url, headers=dict(request.headers)), timeout=30) as resp:
        assert json.loads(resp.read())["status"] == "success"
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(url, timeout=30)
    assert unsigned.value.code == 403


def test_the_aws_clock_moves_the_date_header_and_nothing_else(running: dict) -> None:
    """Started with --clock-offset 1h, then `clock advance 2d`: a Deployment created now is 49h old by AWS's Date
    header; signatures, assumed-role credentials and S3 LastModified keep the real time; bad input changes nothing."""
    import datetime

    import boto3
    from kubernetes import client, config

    from ampctl.aws.clock import aws_now

    env, state_dir = running["env"], str(running["state_dir"])

    def clock(*args: str) -> dict:
        done = _ampctl("sandbox", "clock", *args, "--state-dir", state_dir, "-o", "json", env=env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert clock("show")["offset_seconds"] == 3600.0  # the start option reached the daemon's emulator
    cluster = next(iter(running["state"]["clusters"].values()))
    api = config.new_client_from_config(config_file=env["KUBECONFIG"], context=cluster["context"])
    body = {"metadata": {"name": "kubecost-finopsagent"}, "spec": {
        "selector": {"matchLabels": {"app": "finops"}},
        "template": {"metadata": {"labels": {"app": "finops"}}, "spec": {"containers": [{"name": "a", "image": "a"}]}},
    }}  # fmt: skip
    created = client.AppsV1Api(api).create_namespaced_deployment("default", body).metadata.creation_timestamp
    s3 = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_REGION"],
    ).client("s3", endpoint_url=env["AWS_ENDPOINT_URL"])  # fmt: skip
    s3.create_bucket(Bucket="clock-test", CreateBucketConfiguration={"LocationConstraint": env["AWS_REGION"]})
    age = aws_now(s3.head_bucket(Bucket="clock-test")) - created
    assert datetime.timedelta(minutes=59) < age < datetime.timedelta(minutes=61), age

    shown = clock("advance", "2d")
    assert shown["offset_seconds"] == 3600.0 + 2 * 86400
    answer = s3.head_bucket(Bucket="clock-test")  # signed with the real time: still accepted
    age = aws_now(answer) - created
    assert datetime.timedelta(hours=48, minutes=59) < age < datetime.timedelta(hours=49, minutes=1), age
    assert answer["ResponseMetadata"]["HTTPHeaders"]["date"].endswith(" GMT")
    real = datetime.datetime.now(datetime.timezone.utc)
    s3.put_object(Bucket="clock-test", Key="federated/x", Body=b"1")
    stamp = s3.list_objects_v2(Bucket="clock-test")["Contents"][0]["LastModified"]
    assert abs(stamp - real) < datetime.timedelta(minutes=1)  # S3 keeps the real time
    sts = boto3.client(
        "sts",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    role = boto3.client("iam", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                        ).create_role(RoleName="clock-test", AssumeRolePolicyDocument=json.dumps({
                            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                            "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}))["Role"]["Arn"]  # fmt: skip
    creds = sts.assume_role(RoleArn=role, RoleSessionName="clock", DurationSeconds=900)["Credentials"]
    assert creds["Expiration"] - real < datetime.timedelta(minutes=16)  # expiry on the real clock, not +2d
    assumed = boto3.client("sts", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_REGION"],
                           aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])  # fmt: skip
    assert assumed.get_caller_identity()["Arn"].endswith(":assumed-role/clock-test/clock")

    for bad, says in (("-1h", "is negative"), ("2 days", "is not a duration"), ("soon", "is not a duration")):
        refused = _ampctl("sandbox", "clock", "advance", bad, "--state-dir", state_dir, env=env)
        assert refused.returncode == 1 and says in refused.stderr and "Traceback" not in refused.stderr
        assert refused.stderr.startswith("error: ") and len(refused.stderr.splitlines()) == 2  # the line and a hint
    assert clock("show")["offset_seconds"] == 3600.0 + 2 * 86400
    assert clock("reset")["offset_seconds"] == 3600.0


def test_down_stops_every_process_it_started(tmp_path: Path, prometheus_bin: str) -> None:
    state_dir = tmp_path / "sb"
    up = _ampctl("sandbox", "up", "--state-dir", str(state_dir), "--clusters", "1", "-o", "json")
    assert up.returncode == 0, up.stderr
    state = json.loads(up.stdout)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIASANDBOXOPERATOR1"}
    # Make the AMP emulator start a Prometheus, so that there is a child process to stop.
    import boto3

    from ampctl.sandbox.config import OPERATOR_SECRET_KEY

    amp = boto3.client(
        "amp", endpoint_url=state["aws_endpoint"], region_name=state["region"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=OPERATOR_SECRET_KEY,
    )  # fmt: skip
    ws = amp.create_workspace(alias="down-test")["workspaceId"]
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{state['amp_endpoint']}/workspaces/{ws}/api/v1/query?query=vector(1)"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(env["AWS_ACCESS_KEY_ID"], OPERATOR_SECRET_KEY), "aps", state["region"]).add_auth(request)
    urllib.request.urlopen(urllib.request.Request(url, headers=dict(request.headers)), timeout=30).read()
    deadline = time.monotonic() + 10
    children: list[int] = []
    while time.monotonic() < deadline and not children:
        children = json.loads((state_dir / "state.json").read_text())["child_pids"]
        time.sleep(0.2)
    assert children, "the AMP emulator should have started a Prometheus"
    pids = [state["pid"], *children]
    assert all(_alive(p) for p in pids)
    down = _ampctl("sandbox", "down", "--state-dir", str(state_dir), "-o", "json")
    assert down.returncode == 0
    assert sorted(json.loads(down.stdout)["stopped"]) == sorted(pids)
    assert not any(_alive(p) for p in pids)
    assert not (state_dir / "state.json").exists()
    again = _ampctl("sandbox", "down", "--state-dir", str(state_dir), "-o", "json")
    assert json.loads(again.stdout)["already_stopped"] is True
