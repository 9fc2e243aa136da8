"""The run Lease against the Kubernetes API emulator: taken, refused, renewed, taken over, released."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from ampctl.errors import AmpctlError
from ampctl.kube.client import Kube
from ampctl.kube.lease import LEASE_NAMESPACE, Lock
from tests.conftest import Sandbox

CLUSTER = "sandbox-west"


@pytest.fixture
def kube(sandbox: Sandbox) -> Iterator[Kube]:
    kube = Kube(sandbox.state.kubeconfig, sandbox.context(CLUSTER))
    yield kube
    api = Lock(kube, CLUSTER, "lease-test").api
    for lease in api.list_namespaced_lease(LEASE_NAMESPACE).items:
        if lease.metadata.name == "ampctl-lease-test":
            api.delete_namespaced_lease("ampctl-lease-test", LEASE_NAMESPACE)


def _spec(lock: Lock) -> dict:
    return lock.kube.to_dict(lock.api.read_namespaced_lease(lock.name, LEASE_NAMESPACE))["spec"]


def test_a_held_lease_refuses_a_second_run_and_is_renewed_then_released(kube: Kube) -> None:
    first, second = Lock(kube, CLUSTER, "lease-test"), Lock(kube, CLUSTER, "lease-test")
    first.acquire()
    try:
        with pytest.raises(AmpctlError) as refused:
            second.acquire()
        assert f"being changed by another ampctl run: {first.holder}" in refused.value.message
        before = _spec(first)["renewTime"]
        first.renew()
        assert _spec(first)["renewTime"] > before
        assert _spec(first)["holderIdentity"] == first.holder
    finally:
        first.release()
    assert [x.metadata.name for x in first.api.list_namespaced_lease(LEASE_NAMESPACE).items
            if x.metadata.name == first.name] == []  # fmt: skip


def test_the_lease_of_a_dead_process_on_this_host_is_taken_over(kube: Kube) -> None:
    dead = Lock(kube, CLUSTER, "lease-test")
    dead.holder = f"{socket.gethostname()}/{2**22 + 1}/dead (bootstrap)"
    assert not os.path.exists(f"/proc/{2**22 + 1}")
    dead.acquire()
    dead._stop.set()  # its renewals stop, as a killed process's would
    taker = Lock(kube, CLUSTER, "lease-test")
    taker.acquire()
    try:
        assert _spec(taker)["holderIdentity"] == taker.holder
    finally:
        taker.release()
