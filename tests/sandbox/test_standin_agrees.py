"""The stand-in charts (the sandbox's offline default) and the real charts they imitate agree on every key
the Kubecost emulation reads: both are rendered with `helm template` and ampctl's values, and the
emulation's own readers (`kubecost_objects`, the workload predicates) extract the same facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ampctl.sandbox.kubeapi.resources import by_kind
from ampctl.sandbox.kubeapi.selectors import parse_label_selector
from ampctl.sandbox.kubecost import objects as ko
from ampctl.sandbox.kubecost.chartrepo import CHARTS_DIR
from ampctl.sandbox.kubecost.costmodel import cost_analyzer_start_lines
from ampctl.sandbox.kubecost.feeder import is_prometheus_server
from ampctl.sandbox.kubecost.standin import is_cost_analyzer
from tests.sandbox.real_charts import Objects, chart_package, needs_real_charts, render_values, template

pytestmark = needs_real_charts
NS = "kubecost"
CASES = [(v, agent) for v in ("1.108.1", "2.8.7") for agent in (False, True)]


class RenderedStore:
    """The rendered objects as the emulation's readers see a cluster (ko.Store), plus the Secret ampctl creates."""

    def __init__(self, objects: Objects) -> None:
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "kubecost-object-store", "namespace": NS}}
        secret["stringData"] = {"federated-store.yaml": "type: S3\nconfig:\n  bucket: kc-etl\n"}
        self.objects = [*objects.values(), secret]

    def _matches(self, obj: dict[str, Any], group_version: str, plural: str, namespace: str | None) -> bool:
        rt = by_kind(obj["apiVersion"], obj["kind"])
        same_ns = not namespace or obj["metadata"].get("namespace", NS) == namespace
        return rt is not None and (rt.group_version, rt.plural) == (group_version, plural) and same_ns

    def get(self, group_version: str, plural: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return next(
            (o for o in self.list(group_version, plural, namespace) if o["metadata"]["name"] == name),
            None,
        )

    def list(
        self, group_version: str, plural: str, namespace: str | None = None, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        labels = parse_label_selector(label_selector)
        return [
            o
            for o in self.objects
            if self._matches(o, group_version, plural, namespace) and labels.matches(o["metadata"].get("labels"))
        ]


def facts(objects: Objects) -> dict[str, Any]:
    """Everything the Kubecost emulation reads from an install, through its own readers."""
    store = RenderedStore(objects)
    out: dict[str, Any] = {}
    for workload in store.list("apps/v1", "deployments", NS):
        name, spec = workload["metadata"]["name"], ko.pod_spec(workload)
        has_selector = bool(workload["spec"]["selector"].get("matchLabels"))
        if is_cost_analyzer(workload):
            model = ko.container(spec, ko.COST_MODEL) or {}
            path = ko.env_value(store, NS, model, "FEDERATED_STORE_CONFIG") or ko.OBJECT_STORE_CONFIG
            out[name] = {
                "sidecar": ko.Sidecar.from_container(ko.container(spec, ko.SIGV4PROXY) or {}),
                "endpoint": ko.env_value(store, NS, model, "PROMETHEUS_SERVER_ENDPOINT"),
                "cluster_id": ko.env_value(store, NS, model, "CLUSTER_ID"),
                "object_store": ko.mounted_secret_file(spec, model, path),
                "service_account": ko.service_account_of(store, workload),
                "start_lines": [(c, line.split(" ", 1)[1]) for c, line in cost_analyzer_start_lines(workload)[:1]],
                "selector": has_selector,
            }
        elif is_prometheus_server(workload):
            path, text = ko.prometheus_config(store, workload)
            config = ko.parse_prometheus_config(path, text or "")
            out[name] = {
                "config_path": path,
                "remote_write": [(t.get("url"), t.get("sigv4")) for t in config.get("remote_write") or []],
                "external_labels": (config.get("global") or {}).get("external_labels"),
                "service_account": ko.service_account_of(store, workload),
                "selector": has_selector,
            }
    return out


@pytest.mark.parametrize(("version", "agent"), CASES, ids=[f"{v}{'-agent' if a else ''}" for v, a in CASES])
def test_standin_and_real_chart_agree_on_what_the_sandbox_reads(
    helm3: str, tmp_path: Path, version: str, agent: bool
) -> None:
    values = render_values(tmp_path, version, "prod-east", agent)
    real = facts(template(helm3, chart_package(version), values, NS))
    standin = facts(template(helm3, CHARTS_DIR / f"cost-analyzer-{version}", values, NS))
    assert set(real) == {"kubecost-cost-analyzer", "kubecost-prometheus-server"}
    analyzer = real["kubecost-cost-analyzer"]
    assert analyzer["sidecar"].region == "us-east-2" and analyzer["cluster_id"] == "prod-east"
    assert analyzer["object_store"] == ("kubecost-object-store", "federated-store.yaml")
    assert real["kubecost-prometheus-server"]["external_labels"] == {"cluster_id": "prod-east"}
    assert standin == real
