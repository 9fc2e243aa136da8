"""Release and values: the Helm release is deployed with a supported chart, and the values it was installed
with agree with each other and with the workspace."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.kubefacts import container, pod_template
from ampctl.doctor.model import Result, fail, ok, skip, warn

_LOCAL = {"localhost", "127.0.0.1", "0.0.0.0", "::1"}
_WORKSPACE_PATH = re.compile(r"^/workspaces/(?P<ws>[^/]+)/?$")
_REMOTE_WRITE_PATH = re.compile(r"^/workspaces/(?P<ws>[^/]+)/api/v1/remote_write/?$")


def status(facts: Facts, findings: Findings) -> Result:
    from ampctl.errors import AmpctlError
    from ampctl.versions import chart_line

    release = facts.release()
    where = f"{facts.namespace}/{facts.options.release}"
    if facts.release_error is not None:
        return fail(facts.release_error.message, facts.release_error.hint or "check helm and the kube context")
    if release is None:
        from ampctl.gitops.owner import owner

        engine = owner((facts.deployment(facts.fullname) or {}).get("metadata") or {}, facts.options.release)
        if engine is not None:  # Argo CD applies `helm template`'s objects itself: helm stores no release
            return fail(
                f"no Helm release {where}: {engine} applies the chart's objects without one, so doctor cannot read "
                "the values they came from",
                "doctor checks releases helm stores (ampctl's, Flux's); for Argo CD compare with `argocd app diff`",
            )
        return fail(f"no Helm release {where}", f"{facts.repair()} installs it (or pass --namespace/--release)")
    try:
        line = chart_line(release.chart_version)
    except AmpctlError as exc:
        return fail(exc.message, exc.hint or "install a supported chart version")
    if release.status != "deployed":
        return fail(
            f"release {where} is {release.status} (revision {release.revision})",
            f"`helm history -n {facts.namespace} {facts.options.release}`, then {facts.repair()}",
        )
    return ok(
        f"{where} revision {release.revision}, {line.chart_name} {release.chart_version} ({line.family}), deployed"
    )


def query_endpoint(facts: Facts, findings: Findings) -> Result:
    from ampctl.endpoints import sidecar_query_url

    endpoint = str(facts.value("global.amp.prometheusServerEndpoint") or "")
    port = int(facts.value("sigV4Proxy.port") or 8005)
    ws = findings.known_workspace_id(facts)
    problems = []
    if facts.value("global.amp.enabled") is not True:
        problems.append("global.amp.enabled is not true")
    parts = urlsplit(endpoint)
    if parts.scheme != "http":
        problems.append(f"scheme {parts.scheme or '(none)'}: the sigv4 proxy sidecar serves plain http")
    if parts.hostname not in _LOCAL:
        problems.append(f"host {parts.hostname} is not the sigv4 proxy sidecar (localhost:{port})")
    elif (parts.port or 80) != port:
        problems.append(f"port {parts.port or 80}, the sidecar listens on {port}")
    match = _WORKSPACE_PATH.match(parts.path)
    if not match:
        problems.append(f"path {parts.path or '/'} is not /workspaces/<id>")
    elif ws and match["ws"] != ws:
        problems.append(f"workspace {match['ws']}, not {ws}")
    if problems:
        return fail(
            f"prometheusServerEndpoint {endpoint}: {'; '.join(problems)}",
            f"{facts.repair()} sets it to {sidecar_query_url(ws or '<workspace-id>')}",
        )
    if ws is None:
        return skip(f"{endpoint}: the workspace is unknown (identity.workspace)")
    return ok(endpoint)


def sigv4_proxy(facts: Facts, findings: Findings) -> Result:
    from ampctl.endpoints import amp_host

    region, host = str(facts.value("sigV4Proxy.region")), str(facts.value("sigV4Proxy.host"))
    want = amp_host(facts.region)
    problems = []
    if region != facts.region:
        problems.append(f"sigV4Proxy.region {region}, the workspace is in {facts.region}")
    if host != want:
        problems.append(f"sigV4Proxy.host {host}, expected {want}")
    running = _running_sidecar(facts)
    if running and not problems and running != (region, host):
        problems.append(f"the running sidecar has --region {running[0]} --host {running[1]}")
    if problems:
        return fail(
            "; ".join(problems) + ": queries are signed for the wrong region",
            f"{facts.repair()} sets sigV4Proxy.region={facts.region} and host={want}",
        )
    return ok(f"region {region}, host {host}")


def _running_sidecar(facts: Facts) -> tuple[str, str] | None:
    sidecar = container(pod_template(facts.deployment(facts.fullname)), "sigv4proxy")
    if sidecar is None:
        return None
    args = [str(a) for a in sidecar.get("args") or []]
    flags = {}
    for index, arg in enumerate(args):
        key, eq, value = arg.partition("=")
        if key in ("--region", "--host"):
            flags[key] = value if eq else (args[index + 1] if index + 1 < len(args) else "")
    return flags.get("--region", ""), flags.get("--host", "")


def remote_write(facts: Facts, findings: Findings) -> Result:
    from ampctl.endpoints import amp_host, remote_write_url

    if facts.value("global.prometheus.enabled") is False:
        return skip("the bundled Prometheus is disabled: remote write is configured outside the release")
    url = str(facts.value("global.amp.remoteWriteService") or "")
    signing = str(facts.value("global.amp.sigv4.region"))
    ws = findings.known_workspace_id(facts)
    parts = urlsplit(url)
    problems = []
    if parts.scheme != "https":
        problems.append(f"scheme {parts.scheme or '(none)'}, AMP takes https")
    if parts.hostname != amp_host(facts.region):
        problems.append(f"host {parts.hostname}, expected {amp_host(facts.region)}")
    match = _REMOTE_WRITE_PATH.match(parts.path)
    if not match:
        problems.append(f"path {parts.path or '/'} is not /workspaces/<id>/api/v1/remote_write")
    elif ws and match["ws"] != ws:
        problems.append(f"workspace {match['ws']}, not {ws}")
    if signing != facts.region:
        problems.append(f"global.amp.sigv4.region {signing}, the workspace is in {facts.region}")
    if problems:
        return fail(
            f"remoteWriteService {url}: {'; '.join(problems)}",
            f"{facts.repair()} sets it to {remote_write_url(facts.region, ws or '<workspace-id>')}",
        )
    if ws is None:
        return skip(f"{url}: the workspace is unknown (identity.workspace)")
    return ok(f"{url}, signed for {signing}")


def cluster_id(facts: Facts, findings: Findings) -> Result:
    labels = facts.value("prometheus.server.global.external_labels", {}) or {}
    cid = labels.get("cluster_id") if isinstance(labels, dict) else None
    name = facts.value("kubecostProductConfigs.clusterName", None)
    problems = []
    if not cid or cid == "cluster-one":
        problems.append(f"cluster_id is {cid or 'unset'} (the chart default)")
    if not name:
        problems.append("kubecostProductConfigs.clusterName is unset")
    elif cid and cid != name:
        problems.append(f"cluster_id {cid} differs from clusterName {name}")
    if problems:
        return fail(
            "; ".join(problems) + f": series are not labelled {name or facts.cluster}",
            f"{facts.repair()} sets both to {facts.cluster}",
        )
    notes = f"cluster_id = clusterName = {cid}"
    label = facts.value("kubecostModel.promClusterIDLabel", None)
    if label:
        if label not in labels:
            return warn(
                f"{notes}; promClusterIDLabel={label}, but Prometheus adds no {label} external label",
                f"make sure every series carries {label}, or drop promClusterIDLabel",
            )
        notes += f"; promClusterIDLabel={label} (queries use {label})"
    if name != facts.cluster:
        notes += f" (the EKS cluster is {facts.cluster})"
    return ok(notes)


SPECS = [
    CheckSpec("release.status", "release", "Helm release deployed, chart supported", status, ("identity.kubernetes",)),
    CheckSpec("values.query-endpoint", "release", "prometheusServerEndpoint", query_endpoint, ("release.status",)),
    CheckSpec("values.sigv4-proxy", "release", "sigV4Proxy region and host", sigv4_proxy, ("release.status",)),
    CheckSpec(
        "values.remote-write", "release", "remoteWriteService and sigv4 region", remote_write, ("release.status",)
    ),
    CheckSpec("values.cluster-id", "release", "cluster_id and clusterName", cluster_id, ("release.status",)),
]
