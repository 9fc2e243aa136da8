"""URLs and ARNs derived from a region, a workspace id, an account and an OIDC issuer (aws partition)."""

from __future__ import annotations

SIGV4_PROXY_PORT = 8005


def amp_host(region: str) -> str:
    return f"aps-workspaces.{region}.amazonaws.com"


def query_endpoint(region: str, ws: str) -> str:
    """The workspace's Prometheus-compatible base URL (no trailing slash)."""
    return f"https://{amp_host(region)}/workspaces/{ws}"


def remote_write_url(region: str, ws: str) -> str:
    return f"{query_endpoint(region, ws)}/api/v1/remote_write"


def sidecar_query_url(ws: str) -> str:
    """What cost-model queries: the sigv4 proxy sidecar on localhost, plain http."""
    return f"http://localhost:{SIGV4_PROXY_PORT}/workspaces/{ws}"


def s3_endpoint(region: str) -> str:
    return f"s3.{region}.amazonaws.com"


def issuer_host(issuer: str) -> str:
    """The issuer without its scheme or trailing slash: the form IAM condition keys use."""
    host = issuer.strip()
    if host.startswith("https://"):
        host = host[len("https://") :]
    return host.rstrip("/")


def oidc_provider_arn(account: str, issuer: str) -> str:
    return f"arn:aws:iam::{account}:oidc-provider/{issuer_host(issuer)}"
