"""ampctl's table of the requests of Kubecost's pods matches the real charts rendered with ampctl's values."""

from __future__ import annotations

from ampctl.kube.capacity import chart_requests, pod_requests
from tests.charts.conftest import Rendered, requires_charts


@requires_charts
def test_requests_table_matches_every_rendered_chart(rendered: dict[str, Rendered]) -> None:
    for r in rendered.values():
        if r.case.version.startswith("3."):
            continue
        total = {"cpu": 0.0, "memory": 0.0}
        for workload in r.of_kind("Deployment", "StatefulSet"):
            replicas = int(workload["spec"].get("replicas", 1) or 0)
            for resource, value in pod_requests(workload["spec"]["template"]["spec"]).items():
                total[resource] += value * replicas
        needs = chart_requests(r.case.version, r.case.primary, r.case.federated)
        table = {"cpu": sum(n.cpu for n in needs), "memory": sum(n.memory for n in needs)}
        assert round(table["cpu"], 3) == round(total["cpu"], 3), r.case.id
        assert table["memory"] == total["memory"], r.case.id
