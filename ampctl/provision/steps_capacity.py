"""Whether Kubecost's pods fit what the cluster's schedulable nodes can still take: a warning in the plan, never a
refusal (Karpenter, the Cluster Autoscaler or EKS Auto Mode may add nodes for pods that do not fit)."""

from __future__ import annotations

import json

from ampctl import output
from ampctl.kube import capacity
from ampctl.plan.step import Change, Step
from ampctl.provision.context import ClusterRun


class CheckCapacity(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("capacity",)

    def __init__(self, run: ClusterRun) -> None:
        r = run.request
        self.needs_ = capacity.chart_requests(r.chart_version, r.primary, r.federated)
        total = {"cpu": sum(n.cpu for n in self.needs_), "memory": sum(n.memory for n in self.needs_)}
        self.total = total
        self.title = f"room for Kubecost's pods ({capacity.shown(total)} requested)"

    def check(self, run: ClusterRun) -> Change:
        kube, namespace = run.kube, run.request.namespace
        nodes = json.loads(kube.call("list nodes", kube.core.list_node, _preload_content=False).data)["items"]
        pods = json.loads(
            kube.call(
                "list pods", kube.core.list_pod_for_all_namespaces, _preload_content=False,
                field_selector="status.phase!=Succeeded,status.phase!=Failed",
            ).data
        )["items"]  # fmt: skip
        others = [p for p in pods if p["metadata"].get("namespace") != namespace]  # the release's own are replaced
        left = capacity.free(nodes, others)
        room = {r: sum(n[r] for n in left.values()) for r in capacity.RESOURCES}
        short = [r for r in capacity.RESOURCES if self.total[r] > room[r]]
        biggest = max(self.needs_, key=lambda n: n.memory)
        fits_one = any(n["cpu"] >= biggest.cpu and n["memory"] >= biggest.memory for n in left.values())
        where = f"{len(left)} schedulable node(s) have {capacity.shown(room)} free"
        if not short and fits_one:
            return Change.unchanged(f"fits: {where}")
        why = f"not enough {' and '.join(short)}" if short else f"no node has room for {biggest.component}"
        if run.auto_mode():
            note = "EKS Auto Mode should add nodes"
        else:
            note = "unless Karpenter or the Cluster Autoscaler adds nodes, pods will stay Pending"
        output.warn(f"{run.cluster}: Kubecost's pods may not fit: {why} ({where}); {note}")
        return Change.unchanged(f"warning: {why}; {where}; {note}")


def version_note(kubernetes: str, chart_version: str) -> tuple[bool, str]:
    """(within the tested range or unknown, what to say) for a cluster's version and the chosen chart's: the range
    Kubecost tests the chart's minor on, as its line says (`kubernetes_tested`; none known: nothing is said)."""
    from ampctl.versions import line_of, parse_version

    major, minor, _ = parse_version(chart_version)
    tested = line_of(chart_version).kubernetes_tested.get((major, minor))
    try:
        found = tuple(int(p) for p in kubernetes.split(".")[:2])
    except ValueError:
        found = ()
    if tested is None or len(found) != 2:
        return True, kubernetes or "unknown"
    low, high = tested
    span = f"{low[0]}.{low[1]}-{high[0]}.{high[1]}"
    if low <= found <= high:
        return True, f"{kubernetes}, within {span} (tested by Kubecost)"
    return False, f"{kubernetes} is outside {span}, the range Kubecost tests {major}.{minor} on"


class CheckKubernetesVersion(Step[ClusterRun]):
    """A warning when the cluster's version is outside the range Kubecost tests the chosen line on."""

    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("kubernetes-version",)

    def __init__(self, run: ClusterRun) -> None:
        self.title = f"Kubernetes version of cluster {run.cluster}"

    def check(self, run: ClusterRun) -> Change:
        within, note = version_note(str(run.described().get("version") or ""), run.request.chart_version)
        if within:
            return Change.unchanged(note)
        output.warn(f"{run.cluster}: Kubernetes {note}")
        return Change.unchanged(f"warning: {note}")
