"""One run at a time per cluster: a coordination.k8s.io Lease held while ampctl changes the cluster.

The Lease lives in kube-system (it exists before ampctl's namespace does) and names the holder
(host, process, command). It is renewed while the run lasts and deleted at its end. A Lease whose
holder stopped renewing (a killed run) is stale after its duration and taken over; on the same host,
a holder whose process is gone is stale at once.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ampctl.errors import AmpctlError

if TYPE_CHECKING:
    from ampctl.kube.client import Kube

LEASE_NAMESPACE = "kube-system"
DURATION_SECONDS = 30
RENEW_SECONDS = 10.0
POLL_SECONDS = 1.0  # --wait-lock: how often a waiting run looks at the Lease again


class Held(AmpctlError):
    """The Lease is held by another live run."""


def lease_name(namespace: str) -> str:
    return f"ampctl-{namespace}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _micro(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def holder_identity() -> str:
    command = " ".join(a for a in sys.argv[1:3] if not a.startswith("-")) or "ampctl"
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]} ({command})"


def alive_elsewhere(holder: str) -> bool:
    """False when the holder is a process of this host that no longer exists."""
    host, _, rest = holder.partition("/")
    pid_text = rest.partition("/")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(spec: dict[str, Any]) -> bool:
    holder = str(spec.get("holderIdentity") or "")
    if not holder:
        return True
    renewed = _parse(spec.get("renewTime") or spec.get("acquireTime"))
    duration = int(spec.get("leaseDurationSeconds") or DURATION_SECONDS)
    if renewed is None or _now() > renewed + timedelta(seconds=duration):
        return True
    return not alive_elsewhere(holder)


class Lock:
    """The Lease of one cluster's ampctl namespace, held from acquire() to release()."""

    def __init__(self, kube: Kube, cluster: str, namespace: str) -> None:
        from kubernetes import client

        self.api = client.CoordinationV1Api(kube.api)
        self.kube = kube
        self.cluster = cluster
        self.name = lease_name(namespace)
        self.holder = holder_identity()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _body(self, resource_version: str | None = None) -> Any:
        from ampctl.naming import managed_labels

        now = _micro(_now())
        metadata: dict[str, Any] = {"name": self.name, "namespace": LEASE_NAMESPACE, "labels": managed_labels()}
        if resource_version:
            metadata["resourceVersion"] = resource_version
        spec = {
            "holderIdentity": self.holder,
            "leaseDurationSeconds": DURATION_SECONDS,
            "acquireTime": now,
            "renewTime": now,
        }
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata, "spec": spec}

    def _read(self) -> dict[str, Any] | None:
        from kubernetes.client.exceptions import ApiException

        try:
            return self.kube.to_dict(self.api.read_namespaced_lease(self.name, LEASE_NAMESPACE))
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def acquire(self, wait: float = 0.0, *, sleep: Callable[[float], None] = time.sleep) -> None:
        """Take the Lease, or refuse naming the run that holds it; with `wait`, poll for it up to that many seconds
        first (as `helm --wait` and `terraform -lock-timeout` do)."""
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                self._take()
                return
            except Held as held:
                left = deadline - time.monotonic()
                if left <= 0:
                    waited = f" (waited {wait:g}s)" if wait else ""
                    hint = f"{held.hint}; or pass --wait-lock DURATION to wait for it" if not wait else held.hint
                    raise AmpctlError(held.message + waited, hint) from None
                if not told:
                    from ampctl import output

                    output.info(f"{self.cluster}: waiting for Lease {LEASE_NAMESPACE}/{self.name}: {held.message}")
                    told = True
                sleep(min(POLL_SECONDS, left))

    def _take(self) -> None:
        from kubernetes.client.exceptions import ApiException

        from ampctl.kube.client import translate

        what = f"take Lease {LEASE_NAMESPACE}/{self.name}"
        for _attempt in range(3):
            try:
                current = self._read()
                if current is None:
                    self.api.create_namespaced_lease(LEASE_NAMESPACE, self._body())
                else:
                    spec = current.get("spec") or {}
                    if not _stale(spec):
                        since = spec.get("acquireTime") or spec.get("renewTime") or "?"
                        raise Held(
                            f"cluster {self.cluster} is being changed by another ampctl run: "
                            f"{spec.get('holderIdentity')} since {since}",
                            f"wait for it to finish and re-run; a killed run's Lease {LEASE_NAMESPACE}/{self.name} "
                            f"expires {DURATION_SECONDS}s after its last renewal",
                        )
                    version = str(current["metadata"]["resourceVersion"])
                    self.api.replace_namespaced_lease(self.name, LEASE_NAMESPACE, self._body(version))
            except ApiException as exc:
                if exc.status == 409:  # another run took it between our read and write: look again
                    continue
                raise translate(exc, what) from exc
            self._start_renewing()
            return
        raise Held(f"cluster {self.cluster}: could not {what}: another ampctl run is starting", "re-run")

    def renew(self) -> None:
        """Move renewTime to now, unless another run has taken the Lease over."""
        current: Any = self._read()
        if current is None or (current.get("spec") or {}).get("holderIdentity") != self.holder:
            return
        current["spec"]["renewTime"] = _micro(_now())
        self.api.replace_namespaced_lease(self.name, LEASE_NAMESPACE, current)

    def _start_renewing(self) -> None:
        def renew() -> None:
            while not self._stop.wait(RENEW_SECONDS):
                try:
                    self.renew()
                except Exception:  # noqa: BLE001, S112 - a missed renewal is retried on the next tick
                    continue

        self._thread = threading.Thread(target=renew, daemon=True, name=f"lease-{self.cluster}")
        self._thread.start()

    def release(self) -> None:
        """Stop renewing and delete the Lease if this run still holds it."""
        from kubernetes.client import V1DeleteOptions, V1Preconditions
        from kubernetes.client.exceptions import ApiException

        self._stop.set()
        if self._thread is None:
            return
        self._thread.join(timeout=5)
        self._thread = None
        try:
            current = self._read()
            if current is None or (current.get("spec") or {}).get("holderIdentity") != self.holder:
                return
            version = str(current["metadata"]["resourceVersion"])
            options = V1DeleteOptions(preconditions=V1Preconditions(resource_version=version))
            self.api.delete_namespaced_lease(self.name, LEASE_NAMESPACE, body=options)
        except ApiException:
            return  # it expires on its own


def hold_all(plans: Sequence[Any]) -> None:
    """Before applying: each cluster plan with changes holds its run's Lease (taken before its plan, or now); one
    held by another run gets that as its error (and is not applied), the others go on."""
    for p in plans:
        if p.error is None and p.changes and p.run is not None:
            try:
                p.run.hold_lease()
            except AmpctlError as exc:
                p.errors.append(exc)
