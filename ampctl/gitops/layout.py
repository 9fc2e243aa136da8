"""What one GitOps render is about: the engine, the chart source, the Git repository, and each cluster's spec."""

from __future__ import annotations

from dataclasses import dataclass

from ampctl.errors import AmpctlError
from ampctl.lines.costanalyzer import CHART_NAME as COST_ANALYZER_CHART
from ampctl.spec import ClusterSpec

ENGINES = ("argocd", "flux")
# The values never carry the cluster's OIDC issuer (only IAM trust documents do, and bootstrap/add-cluster
# --no-helm make those from EKS): a spec for values alone takes this stand-in, which no GitOps file shows.
VALUES_ONLY_ISSUER = "https://oidc.eks.{region}.amazonaws.com/id/VALUES0NLY"
FLEET_LABEL = "ampctl/fleet"  # on Argo CD cluster Secrets: the ApplicationSet's cluster generator selects on it
# The chart name of every supported line (1.x, 2.x, 2.9): cost-analyzer. Kubecost 3 renames it `kubecost`.
CHART_NAME = COST_ANALYZER_CHART


@dataclass(frozen=True)
class ChartSource:
    repository: str  # an https Helm repository URL, or an OCI repository without the chart's name
    name: str
    oci: bool

    @property
    def oci_url(self) -> str:
        return f"oci://{self.repository}/{self.name}"


@dataclass(frozen=True)
class Member:
    spec: ClusterSpec
    values: tuple[str, ...] = ()  # the user's values files for this cluster, after ampctl's (as with helm -f)
    context: str = ""


@dataclass(frozen=True)
class Layout:
    engine: str
    fleet: str  # the fleet's name: ApplicationSet name, cluster label value
    chart: ChartSource
    chart_version: str
    namespace: str
    release: str
    timeout: str
    members: tuple[Member, ...]
    git_repo: str = ""  # Argo CD: the repository the output directory is committed to
    git_revision: str = "HEAD"
    git_path: str = ""  # Argo CD: the output directory's path inside that repository


def chart_source(chart: str, chart_repo: str | None) -> ChartSource:
    """The chart's repository as the engines name it: `--chart-repo URL` or an `oci://` chart reference."""
    if chart_repo:
        return ChartSource(chart_repo.rstrip("/"), CHART_NAME, oci=False)
    if chart.startswith("oci://") and "/" in chart[len("oci://") :]:
        repository, _, name = chart[len("oci://") :].rpartition("/")
        return ChartSource(repository, name, oci=True)
    raise AmpctlError(
        f"--gitops needs a chart from a repository, and {chart!r} is neither oci://HOST/PATH/CHART nor a repository",
        "pass --chart oci://public.ecr.aws/kubecost/cost-analyzer (the default) or --chart-repo URL",
    )


def engine(name: str) -> str:
    if name not in ENGINES:
        raise AmpctlError(f"unknown --gitops engine {name!r}", "pass --gitops argocd or --gitops flux")
    return name
