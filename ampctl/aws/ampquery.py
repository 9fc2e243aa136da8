"""Instant PromQL queries against an AMP workspace, SigV4-signed (service `aps`) with the operator's credentials."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ampctl.errors import AmpctlError

if TYPE_CHECKING:
    from ampctl.aws.session import AwsSession

TIMEOUT = 30.0


def fetch(aws: AwsSession, region: str, workspace_id: str, promql: str) -> tuple[int, bytes]:
    """The HTTP status and body of a signed instant query; an OSError when the workspace cannot be reached."""
    import urllib.error
    import urllib.request
    from urllib.parse import quote, urlencode

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    from ampctl.endpoints import amp_host

    host = amp_host(region)
    path = f"/workspaces/{workspace_id}/api/v1/query?" + urlencode({"query": promql}, quote_via=quote, safe="-_.~")
    signed = AWSRequest(method="GET", url=f"https://{host}{path}", headers={"Host": host})
    SigV4Auth(aws.credentials(), "aps", region).add_auth(signed)
    request = urllib.request.Request(aws.amp_base_url(region) + path, headers=dict(signed.headers.items()))
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - AMP's https URL
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def query(aws: AwsSession, region: str, workspace_id: str, promql: str) -> list[dict[str, Any]]:
    """The `result` of an instant query; an AmpctlError says why the workspace refused it."""
    from ampctl.endpoints import amp_host

    try:
        status, body = fetch(aws, region, workspace_id, promql)
    except OSError as exc:
        raise AmpctlError(f"cannot reach {amp_host(region)}: {exc}", "check the network and the region") from exc
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if status == 200 and isinstance(data, dict) and data.get("status") == "success":
        return list((data.get("data") or {}).get("result") or [])
    text = str(data.get("error") or data.get("message")) if isinstance(data, dict) else body.decode(errors="replace")
    raise AmpctlError(
        f"AMP query {promql!r} failed: HTTP {status}: {text.strip()[:200]}",
        "the operator's credentials need aps:QueryMetrics on the workspace (AmazonPrometheusQueryAccess)",
    )


def last_samples(aws: AwsSession, region: str, workspace_id: str, metric: str, label: str) -> dict[str, float]:
    """{label value: seconds since its newest sample} for series of `metric` in the query lookback (5 min)."""
    counted = query(aws, region, workspace_id, f"count by ({label}) ({metric})")
    newest = query(aws, region, workspace_id, f"max by ({label}) (timestamp({metric}))")
    ages = {r["metric"].get(label, ""): max(0.0, float(r["value"][0]) - float(r["value"][1])) for r in newest}
    return {r["metric"].get(label, ""): ages.get(r["metric"].get(label, ""), 0.0) for r in counted}
