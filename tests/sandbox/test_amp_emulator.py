"""The AMP emulator: SigV4 and IAM checks in front of real Prometheus processes."""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ampctl.sandbox.amp.emulator import AmpEmulator
from ampctl.sandbox.amp.remote_write import HEADERS, encode_write_request
from ampctl.sandbox.aws.emulator import AwsEmulator
from ampctl.sandbox.aws.iam_eval import Credentials, assume_role_with_web_identity
from ampctl.sandbox.aws.sigv4 import sign
from ampctl.sandbox.config import OPERATOR_ACCESS_KEY, OPERATOR_SECRET_KEY, SandboxConfig

ACCOUNT = "100000000021"
REGION = "us-east-2"
CLUSTER = "amp-cluster"
QUERY_ACCESS = "arn:aws:iam::aws:policy/AmazonPrometheusQueryAccess"
OPERATOR = Credentials(OPERATOR_ACCESS_KEY, OPERATOR_SECRET_KEY, "")


@dataclass
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsEmulator]:
    config = SandboxConfig(
        state_dir=tmp_path_factory.mktemp("aws"), account=ACCOUNT, region=REGION, clusters=(CLUSTER,)
    )
    emulator = AwsEmulator(config)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def amp(aws: AwsEmulator, prometheus_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AmpEmulator]:
    emulator = AmpEmulator(aws, prometheus_bin, tmp_path_factory.mktemp("amp"))
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def workspaces(aws: AwsEmulator) -> tuple[str, str]:
    client = aws.client("amp")
    return (
        client.create_workspace(alias="amp-test-1")["workspaceId"],
        client.create_workspace(alias="amp-test-2")["workspaceId"],
    )


def call(
    amp: AmpEmulator,
    method: str,
    path: str,
    creds: Credentials | None = OPERATOR,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    host: str | None = None,
    region: str = REGION,
    send_path: str | None = None,
    send_body: bytes | None = None,
) -> Answer:
    """Sign `method path body` (unless creds is None) and send it, or send_path/send_body instead."""
    url = amp.endpoint + path
    wanted = dict(headers or {})
    if host:
        wanted["Host"] = host
    if creds is not None:
        wanted = sign(
            method,
            url,
            access_key=creds.access_key,
            secret_key=creds.secret_key,
            session_token=creds.session_token or None,
            region=region,
            body=body,
            headers=wanted,
        )
    parts = urllib.parse.urlsplit(amp.endpoint)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        payload = body if send_body is None else send_body
        conn.request(method, send_path or path, body=payload or None, headers=wanted)
        answer = conn.getresponse()
        return Answer(answer.status, answer.read())
    finally:
        conn.close()


def write(amp: AmpEmulator, workspace: str, name: str, value: float, creds: Credentials = OPERATOR) -> Answer:
    now = int(time.time() * 1000)
    series = [({"__name__": name, "job": "test"}, [(now - 30_000, value - 1), (now, value)])]
    payload = encode_write_request(series)
    return call(amp, "POST", f"/workspaces/{workspace}/api/v1/remote_write", creds, payload, dict(HEADERS))


def query(amp: AmpEmulator, workspace: str, promql: str, creds: Credentials | None = OPERATOR, **kw: Any) -> Answer:
    path = f"/workspaces/{workspace}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    return call(amp, "GET", path, creds, **kw)


def irsa_role(aws: AwsEmulator, name: str, *policies: str) -> tuple[str, Credentials]:
    issuer = aws.cluster_issuer(CLUSTER)
    host = issuer.removeprefix("https://")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": aws.oidc_provider_arn(issuer)},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{host}:sub": f"system:serviceaccount:kubecost:{name}",
                        f"{host}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }
    iam = aws.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    for policy in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    creds = assume_role_with_web_identity(aws, arn, issuer, "kubecost", name, session_name="sigv4-test")
    return arn, creds


def test_signed_write_then_query_reaches_prometheus(amp: AmpEmulator, workspaces: tuple[str, str]) -> None:
    ws = workspaces[0]
    assert write(amp, ws, "sandbox_written", 42.0).status in (200, 204)
    answer = query(amp, ws, "sandbox_written")
    assert answer.status == 200, answer.body
    result = answer.json()["data"]["result"]
    assert result[0]["metric"] == {"__name__": "sandbox_written", "job": "test"}
    assert float(result[0]["value"][1]) == 42.0
    form = call(
        amp,
        "POST",
        f"/workspaces/{ws}/api/v1/query",
        body=b"query=sum(sandbox_written)",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status == 200 and float(form.json()["data"]["result"][0]["value"][1]) == 42.0
    labels = call(amp, "GET", f"/workspaces/{ws}/api/v1/label/job/values")
    assert labels.status == 200 and "test" in labels.json()["data"]
    assert call(amp, "GET", f"/workspaces/{ws}/api/v1/series?match[]=sandbox_written").status == 200


def test_unsigned_request_is_refused(amp: AmpEmulator, workspaces: tuple[str, str]) -> None:
    answer = query(amp, workspaces[0], "up", creds=None)
    assert answer.status == 403
    assert answer.json() == {"message": "Missing Authentication Token"}


def test_wrong_secret_is_refused(amp: AmpEmulator, workspaces: tuple[str, str]) -> None:
    answer = query(amp, workspaces[0], "up", creds=Credentials(OPERATOR_ACCESS_KEY, "not-the-secret", ""))
    assert answer.status == 403
    assert "signature we calculated does not match" in answer.json()["message"]


def test_unknown_access_key_is_refused(amp: AmpEmulator, workspaces: tuple[str, str]) -> None:
    answer = query(amp, workspaces[0], "up", creds=Credentials("AKIAUNKNOWNKEY000000", "x", ""))
    assert answer.status == 403
    assert answer.json()["message"] == "The security token included in the request is invalid."


def test_tampered_query_and_body_are_refused(amp: AmpEmulator, workspaces: tuple[str, str]) -> None:
    ws = workspaces[0]
    signed = f"/workspaces/{ws}/api/v1/query?query=up"
    assert call(amp, "GET", signed).status == 200
    tampered = call(amp, "GET", signed, send_path=f"/workspaces/{ws}/api/v1/query?query=sum(up)")
    assert tampered.status == 403
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    path = f"/workspaces/{ws}/api/v1/query"
    assert call(amp, "POST", path, body=b"query=up", headers=form).status == 200
    assert call(amp, "POST", path, body=b"query=up", headers=form, send_body=b"query=vector(1)").status == 403


def test_temporary_credentials_need_their_session_token(
    aws: AwsEmulator, amp: AmpEmulator, workspaces: tuple[str, str]
) -> None:
    _, creds = irsa_role(aws, "token-check", QUERY_ACCESS)
    assert query(amp, workspaces[0], "up", creds=creds).status == 200
    without = Credentials(creds.access_key, creds.secret_key, "")
    assert query(amp, workspaces[0], "up", creds=without).status == 403


def test_unknown_workspace_is_not_found(amp: AmpEmulator) -> None:
    answer = query(amp, "ws-00000000-0000-0000-0000-000000000000", "up")
    assert answer.status == 404
    assert "ws-00000000" in answer.json()["message"]


def test_workspace_is_looked_up_in_the_signed_region(amp: AmpEmulator, workspaces: tuple[str, str]) -> None:
    assert query(amp, workspaces[0], "up", region="us-west-2").status == 404


def test_host_region_must_match_the_signing_region(amp: AmpEmulator, workspaces: tuple[str, str]) -> None:
    assert query(amp, workspaces[0], "up", host=f"aps-workspaces.{REGION}.amazonaws.com").status == 200
    wrong = query(amp, workspaces[0], "up", host="aps-workspaces.us-west-2.amazonaws.com")
    assert wrong.status == 403


def test_role_needs_the_query_policy(aws: AwsEmulator, amp: AmpEmulator, workspaces: tuple[str, str]) -> None:
    ws = workspaces[0]
    _, creds = irsa_role(aws, "query-later")
    arn = aws.client("amp").describe_workspace(workspaceId=ws)["workspace"]["arn"]
    denied = query(amp, ws, "up", creds=creds)
    assert denied.status == 403
    assert denied.json()["message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/query-later/sigv4-test is not authorized to perform: "
        f"aps:QueryMetrics on resource: {arn}"
    )
    aws.client("iam").attach_role_policy(RoleName="query-later", PolicyArn=QUERY_ACCESS)
    assert query(amp, ws, "up", creds=creds).status == 200


def test_remote_write_needs_the_remote_write_policy(
    aws: AwsEmulator, amp: AmpEmulator, workspaces: tuple[str, str]
) -> None:
    _, creds = irsa_role(aws, "query-only", QUERY_ACCESS)
    denied = write(amp, workspaces[0], "should_not_land", 1.0, creds=creds)
    assert denied.status == 403
    assert "is not authorized to perform: aps:RemoteWrite on resource: " in denied.json()["message"]
    assert query(amp, workspaces[0], "should_not_land", creds=creds).json()["data"]["result"] == []


def test_iam_user_keys_are_judged_by_their_policies(
    aws: AwsEmulator, amp: AmpEmulator, workspaces: tuple[str, str]
) -> None:
    iam = aws.client("iam")
    iam.create_user(UserName="reader")
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    creds = Credentials(key["AccessKeyId"], key["SecretAccessKey"], "")
    denied = query(amp, workspaces[0], "up", creds=creds)
    assert denied.status == 403 and f"arn:aws:iam::{ACCOUNT}:user/reader" in denied.json()["message"]
    iam.attach_user_policy(UserName="reader", PolicyArn=QUERY_ACCESS)
    assert query(amp, workspaces[0], "up", creds=creds).status == 200


def test_workspaces_are_isolated(amp: AmpEmulator, workspaces: tuple[str, str]) -> None:
    first, second = workspaces
    assert write(amp, first, "only_in_first", 7.0).status in (200, 204)
    assert write(amp, second, "only_in_second", 8.0).status in (200, 204)
    assert query(amp, first, "only_in_first").json()["data"]["result"]
    assert query(amp, second, "only_in_first").json()["data"]["result"] == []
    assert query(amp, first, "only_in_second").json()["data"]["result"] == []
    assert len(set(amp.child_pids())) == 2


def test_workspace_not_active(aws: AwsEmulator, amp: AmpEmulator) -> None:
    ws = aws.client("amp").create_workspace(alias="not-active")["workspaceId"]
    assert aws.set_workspace_status(ws, "CREATING")
    assert query(amp, ws, "up").status == 409
    aws.client("amp").delete_workspace(workspaceId=ws)
    time.sleep(amp.workspace_cache_seconds + 0.1)
    assert query(amp, ws, "up").status == 404


def test_stop_ends_every_prometheus(aws: AwsEmulator, prometheus_bin: str, tmp_path: Path) -> None:
    amp = AmpEmulator(aws, prometheus_bin, tmp_path)
    amp.start()
    ws = aws.client("amp").create_workspace(alias="stop-check")["workspaceId"]
    assert query(amp, ws, "up").status == 200
    pids = amp.child_pids()
    assert len(pids) == 1
    amp.stop()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert amp.child_pids() == []
