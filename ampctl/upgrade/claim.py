"""One upgrade of a fleet at a time: the running upgrade names itself on the record (`ampctl/upgrade-run`, the same
identity as a cluster Lease's holder: host, process, command) and renews `ampctl/upgrade-at` every HEARTBEAT
seconds. Another run finds it running and refuses, unless its heartbeat is older than STALE seconds or, on the same
host, its process is gone (a killed upgrade), as a cluster's Lease is judged.

Two runs that start within the same moment may both find the record free; each reads the record back after writing
it and the one whose name is not there stops. Should both go on, each cluster's Lease still keeps their changes of
one cluster apart.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from ampctl.errors import AmpctlError
from ampctl.upgrade import record
from ampctl.upgrade.record import AT_FORMAT, AT_TAG, RUN_TAG, RUNNING, STATE_TAG, Holder, Progress, tag_safe

HEARTBEAT = 30.0
STALE = 120.0


def _age(stamp: str) -> float:
    try:
        then = datetime.strptime(stamp, AT_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return float("inf")
    return (datetime.now(timezone.utc) - then) / timedelta(seconds=1)


class Claim:
    def __init__(self, holder: Holder) -> None:
        from ampctl.kube.lease import holder_identity

        self.holder = holder
        self.run = tag_safe(holder_identity())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> None:
        """Refuse while another live run is upgrading the fleet."""
        from ampctl.kube.lease import alive_elsewhere

        tags = self.holder.read()
        other = tags.get(RUN_TAG, "")
        if tags.get(STATE_TAG) != RUNNING or not other or other == self.run:
            return
        if _age(tags.get(AT_TAG, "")) > STALE or not alive_elsewhere(other):
            return
        raise AmpctlError(
            f"another ampctl upgrade of this fleet is running: {other} (last seen {tags.get(AT_TAG)})",
            f"wait for it to finish; a killed one is free {STALE:.0f}s after its last heartbeat, then re-run",
        )

    def take(self, progress: Progress) -> None:
        self.check()
        self.holder.write(progress.tags() | {RUN_TAG: self.run})
        if self.holder.read().get(RUN_TAG) != self.run:
            raise AmpctlError("another ampctl upgrade of this fleet started at the same moment", "re-run to resume")
        self._thread = threading.Thread(target=self._beat, daemon=True, name="upgrade-heartbeat")
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            try:
                self.holder.write({AT_TAG: record.stamp()})
            except Exception:  # noqa: BLE001, S112 - a missed heartbeat is retried on the next tick
                continue

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
