"""The chart's defaults of the values doctor reads."""

from __future__ import annotations

from typing import Any

# Chart defaults of the keys doctor reads, for releases installed without them.
CHART_DEFAULTS: dict[str, Any] = {
    "global.amp.enabled": False,
    "global.amp.prometheusServerEndpoint": "http://localhost:8005/workspaces/<workspaceId>/",
    "global.amp.remoteWriteService": (
        "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/<workspaceId>/api/v1/remote_write"
    ),
    "global.amp.sigv4.region": "us-west-2",
    "global.prometheus.enabled": True,
    "sigV4Proxy.region": "us-west-2",
    "sigV4Proxy.host": "aps-workspaces.us-west-2.amazonaws.com",
    "sigV4Proxy.port": 8005,
    "prometheus.server.global.external_labels.cluster_id": "cluster-one",
}
