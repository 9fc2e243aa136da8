"""GitOps layouts for every supported chart line, both engines and both chart sources, built without AWS."""

from __future__ import annotations

from ampctl.gitops.layout import Layout, Member, chart_source
from ampctl.spec import PRODUCT_KEY_SECRET, ClusterSpec

ACCOUNT = "012345678901"
REGION = "eu-west-1"
WORKSPACE = "ws-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
BUCKET = "kubecost-etl-012345678901-eu-west-1"
# One version per line ampctl supports (1.x, 2.x, 2.9), federated where the line needs it.
LINES = {"1.108.1": False, "2.8.7": False, "2.4.2": True, "2.9.7": True}
CHARTS = {
    "oci": ("oci://public.ecr.aws/kubecost/cost-analyzer", None),
    "https": ("", "https://kubecost.github.io/cost-analyzer"),
}


def spec(cluster: str, version: str, federated: bool, primary: bool) -> ClusterSpec:
    return ClusterSpec(
        cluster=cluster, region=REGION, account=ACCOUNT,
        oidc_issuer=f"https://oidc.eks.{REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
        workspace_id=WORKSPACE, primary=primary, federated=federated, bucket=BUCKET if federated else None,
        chart_version=version,
        product_key_secret=PRODUCT_KEY_SECRET if federated and version.startswith("2.") else None,
    )  # fmt: skip


def layout(engine: str, version: str, federated: bool, chart: str = "oci", clusters: int = 3) -> Layout:
    members = tuple(
        Member(spec(f"c{i}-{version.replace('.', '-')}", version, federated, primary=i == 0)) for i in range(clusters)
    )
    reference, repo = CHARTS[chart]
    return Layout(
        engine=engine, fleet="prod", chart=chart_source(reference, repo), chart_version=version,
        namespace="kubecost", release="kubecost", timeout="10m", members=members,
        git_repo="https://git.example.com/platform/fleet.git", git_revision="main", git_path="gitops/kubecost",
    )  # fmt: skip
