"""--storage-class: the class on every key of the chosen line, in a values file of its own after the others."""

from __future__ import annotations

import dataclasses

from ampctl.render.values import values_files
from tests.render.test_render import BUCKET, get, make, merged


def test_storage_class_reaches_every_claim_key_of_the_line() -> None:
    assert "storage-values.yaml" not in [f.name for f in values_files(make())]
    spec = make(federated=True, bucket=BUCKET, chart_version="2.9.7", storage_class="gp3")
    assert values_files(spec)[-1].name == "storage-values.yaml"
    values = merged(spec)
    for key in (
        "persistentVolume.storageClass",
        "prometheus.server.persistentVolume.storageClass",
        "kubecostAggregator.aggregatorDbStorage.storageClass",
        "kubecostAggregator.persistentConfigsStorage.storageClass",
        "finopsagent.persistence.storageClass",
    ):
        assert get(values, key) == "gp3", key
    agent = merged(dataclasses.replace(spec, primary=False))
    assert get(agent, "kubecostAggregator.aggregatorDbStorage.storageClass") is None  # no aggregator on agents
