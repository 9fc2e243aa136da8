"""URLs and ARNs derived from a region, a workspace id, an account and an OIDC issuer.

Every ARN ampctl builds goes through `arn`, which takes the partition from the region (`partition`).
"""

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


def partition(region: str | None) -> str:
    """The AWS partition a region belongs to: aws-cn for cn-*, aws-us-gov for us-gov-*, else aws.

    None (a caller that does not know the region) means the commercial partition, aws.
    """
    if region and region.startswith("cn-"):
        return "aws-cn"
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def arn(service: str, resource: str, *, region: str | None, account: str = "", regional: bool = False) -> str:
    """arn:<partition>:<service>:<region>:<account>:<resource>, in the partition of `region`.

    The region field is filled only for regional resources (`regional=True`); IAM and S3 ARNs leave it empty but
    still take their partition from the region, e.g. arn("iam", "role/x", region="cn-north-1", account="1")
    is arn:aws-cn:iam::1:role/x.
    """
    return f"arn:{partition(region)}:{service}:{region if regional and region else ''}:{account}:{resource}"


def account_of(arn: str) -> str | None:
    """The account field of an ARN (arn:partition:service:region:account:resource), or None when it has none."""
    fields = arn.split(":")
    return fields[4] or None if len(fields) > 5 and fields[0] == "arn" else None


def name_of(arn: str) -> str:
    """The last part of an ARN's resource: a role's or a policy's name (arn:aws:iam::1:role/path/x is x)."""
    return arn.rsplit("/", 1)[-1]


def oidc_provider_arn(account: str, issuer: str, *, region: str | None = None) -> str:
    return arn("iam", f"oidc-provider/{issuer_host(issuer)}", region=region, account=account)
