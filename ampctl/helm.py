"""Helm through pyhelm3 (which drives the real helm binary, 3.x or 4.x)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ampctl.errors import AmpctlError


def helm_executable(explicit: str | None = None) -> str:
    """--helm / AMPCTL_HELM, else helm on PATH, else the helm beside this Python (a venv's bin)."""
    candidate = explicit or os.environ.get("AMPCTL_HELM")
    if candidate:
        found = shutil.which(candidate)
        if not found:
            raise AmpctlError(f"helm executable {candidate!r} not found", "pass --helm PATH or fix AMPCTL_HELM")
        return found
    found = shutil.which("helm")
    if found:
        return found
    beside = Path(sys.executable).parent / "helm"
    if beside.exists():
        return str(beside)
    raise AmpctlError("helm is not installed", "install helm 3.17+ or 4.x, or run scripts/install-tools.sh")


@dataclass(frozen=True)
class Release:
    name: str
    namespace: str
    status: str
    chart_version: str
    revision: int
    values: dict[str, Any]


_VERSIONS: dict[str, Any] = {}
_VERSIONS_LOCK = threading.Lock()


def _helm_command(executable: str, kubeconfig: Path | None, context: str, stoppable: bool = False) -> Any:
    """pyhelm3's command runner, asking each helm executable its version once per process, not once per client.

    `stoppable`: helm runs as ampctl's own child, not under `sh -c` as pyhelm3 starts it, so that cancelling the
    command's task terminates helm itself (pyhelm3 terminates the process it started: the shell, which leaves helm
    running to its --timeout). helm handles SIGTERM by cancelling the operation; with --atomic it then uninstalls or
    rolls back the release (helm cmd/helm/install.go and upgrade.go: "Release %s has been cancelled.").
    """
    from pyhelm3 import errors
    from pyhelm3.command import Command

    class OnceCommand(Command):
        def client_version(self) -> Any:
            with _VERSIONS_LOCK:
                if executable not in _VERSIONS:
                    _VERSIONS[executable] = super().client_version()
                return _VERSIONS[executable]

        async def run(self, command: list[Any], input: bytes | None = None) -> bytes:  # noqa: A002 - pyhelm3's name
            if not stoppable:
                return bytes(await super().run(command, input))
            argv = [executable, *(str(part) for part in command), "--kube-context", context]
            if kubeconfig:
                argv += ["--kubeconfig", str(kubeconfig)]
            import logging
            import shlex

            shown = shlex.join("<stdin>" if part == "-" else part for part in argv)
            logging.getLogger("pyhelm3.command").info("running command: %s", shown)  # as pyhelm3 logs it (-v)
            pipe = asyncio.subprocess.PIPE
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=pipe if input is not None else None, stdout=pipe, stderr=pipe
            )
            try:
                stdout, stderr = await proc.communicate(input)
            except asyncio.CancelledError:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
                await proc.communicate()
                raise
            if proc.returncode != 0:
                raise errors.Error(proc.returncode, stdout, stderr)
            return stdout

    return OnceCommand(executable=executable, kubeconfig=kubeconfig, kubecontext=context, default_timeout="10m")


class Helm:
    def __init__(self, kubeconfig: str | None, context: str, executable: str | None = None) -> None:
        from ampctl import warm

        warm.loaded(warm.HELM)
        from pyhelm3 import Client

        exe = helm_executable(executable)
        config = Path(kubeconfig) if kubeconfig else None
        # pyhelm3's Client takes the Command it runs; we keep it for what Client does not offer (list, status,
        # history, rollback, install_or_upgrade with our arguments), so nothing reaches into the Client's privates.
        self.command = _helm_command(exe, config, context)
        self._stoppable = (exe, config, context)
        self.client = Client(self.command, executable=exe)
        self.major = int(self.client.version.major)

    def _run(self, coro: Any) -> Any:
        from pyhelm3 import errors

        try:
            return asyncio.run(coro)
        except errors.Error as exc:
            message = exc.stderr.decode(errors="replace").strip().splitlines()
            text = message[-1] if message else str(exc)
            raise AmpctlError(f"helm failed: {text}", "run with -v for details, or `helm status`") from exc

    def release(self, name: str, namespace: str, *, values: bool = True) -> Release | None:
        """The release as deployed: status, chart version, revision and (unless values=False) user-supplied values."""
        import re

        from pyhelm3.errors import ReleaseNotFoundError

        command = self.command

        async def read() -> tuple[Any, Any]:
            # Asked at the same time: the status (for the values) is only used when the list has the release.
            reads = [command.list(all=True, namespace=namespace)]
            if values:
                reads.append(command.status(name, namespace=namespace))
            found = await asyncio.gather(*reads, return_exceptions=True)
            if isinstance(found[0], BaseException):
                raise found[0]
            entry = next((r for r in found[0] if r.get("name") == name), None)
            status = found[1] if values else {}
            if entry is None or isinstance(status, ReleaseNotFoundError):
                return None, None
            if isinstance(status, BaseException):
                raise status
            return entry, status

        entry, status = self._run(read())
        if entry is None:
            return None
        match = re.search(r"-(\d+\.\d+\.\d+\S*)$", str(entry.get("chart", "")))
        return Release(
            name=name,
            namespace=namespace,
            status=str(entry.get("status", "unknown")),
            chart_version=match.group(1) if match else "",
            revision=int(entry.get("revision", 0)),
            values=dict(status.get("config") or {}),
        )

    def install(
        self,
        name: str,
        namespace: str,
        chart: str,
        *,
        repo: str | None,
        version: str,
        values: dict[str, Any],
        timeout: str,
        watch: Callable[[], AmpctlError | None] | None = None,
        every: float = 3.0,
    ) -> int:
        """`helm upgrade --install --atomic --wait`. While helm waits, `watch` is called every `every` seconds; the
        error it returns stops helm (pyhelm3 terminates the process when its task is cancelled) and is raised."""
        # One helm process: `helm upgrade --install` resolves the chart itself (no `helm show chart` first).
        command = self.command if watch is None else _helm_command(*self._stoppable, stoppable=True)
        installing = command.install_or_upgrade(
            name,
            chart,
            values,
            atomic=True,
            atomic_arg="--rollback-on-failure" if self.major >= 4 else "--atomic",
            create_namespace=False,
            namespace=namespace,
            repo=repo,
            version=version,
            wait=True,
            timeout=timeout,
        )
        released = self._run(_watched(installing, watch, every) if watch is not None else installing)
        return int(released["version"])


async def _watched(installing: Any, watch: Callable[[], AmpctlError | None], every: float) -> Any:
    from pyhelm3 import errors

    task = asyncio.ensure_future(installing)
    while True:
        done, _ = await asyncio.wait({task}, timeout=every)
        if task in done:
            return task.result()
        problem = await asyncio.to_thread(watch)
        if problem is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, errors.Error):
                await task
            raise problem


def uninstall(helm: Helm, name: str, namespace: str, timeout: str = "5m") -> None:
    """`helm uninstall --wait`: the release and every object it installed."""
    helm._run(helm.client.uninstall_release(name, namespace=namespace, wait=True, timeout=timeout))


# What a helm killed mid-operation leaves behind; helm refuses any other operation on the release until it is cleared.
PENDING = frozenset({"pending-install", "pending-upgrade", "pending-rollback"})


def last_deployed(helm: Helm, name: str, namespace: str) -> int | None:
    """The newest revision that was ever deployed (deployed or superseded), None when none was."""
    history = helm._run(helm.command.history(name, namespace=namespace))
    done = [int(h["revision"]) for h in history if h.get("status") in {"deployed", "superseded"}]
    return max(done) if done else None


def recover(helm: Helm, name: str, namespace: str, timeout: str = "5m") -> None:
    """Clear a release left pending by a killed helm: roll back to its last deployed revision, or
    uninstall it when no revision was ever deployed."""
    revision = last_deployed(helm, name, namespace)
    if revision is None:
        uninstall(helm, name, namespace, timeout)
        return
    helm._run(helm.command.rollback(name, revision, namespace=namespace, timeout=timeout))
