"""The Helm step: write the values files and `helm upgrade --install` the chart."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ampctl.errors import AmpctlError
from ampctl.plan.step import Change, Step
from ampctl.provision import values as valuesmod
from ampctl.provision.context import ClusterRun
from ampctl.provision.watch import ReleaseWatch

if TYPE_CHECKING:
    from ampctl.helm import Release


class RecoverRelease(Step[ClusterRun]):
    """A release left pending-install/-upgrade/-rollback by a killed helm: roll back or uninstall it."""

    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("recovered-release",)

    def __init__(self, run: ClusterRun, status: str) -> None:
        r = run.request
        self.status = status
        self.title = f"recover helm release {r.namespace}/{r.release} left {status} by an interrupted helm"

    def check(self, run: ClusterRun) -> Change:
        from ampctl.helm import PENDING, last_deployed

        r = run.request
        release = run.read_release(r.release, r.namespace)
        if release is None or release.status not in PENDING:
            return Change.unchanged("nothing pending")
        revision = last_deployed(run.helm, r.release, r.namespace)
        return Change.update(f"roll back to revision {revision}" if revision else "uninstall: never deployed")

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.helm import PENDING, recover

        r = run.request
        release = run.read_release(r.release, r.namespace)
        if release is not None and release.status in PENDING:
            recover(run.helm, r.release, r.namespace, r.timeout)


def _roll_back(run: ClusterRun) -> None:
    """After helm was stopped (or failed): a release it left pending or failed goes back to its last deployed
    revision, or is uninstalled when none was deployed (helm's --atomic does the same when it ends by itself)."""
    from ampctl.helm import PENDING, recover

    r = run.request
    release = run.read_release(r.release, r.namespace)
    if release is not None and (release.status in PENDING or release.status == "failed"):
        run.progress(f"{run.cluster}: rolling back helm release {r.namespace}/{r.release} ({release.status})")
        recover(run.helm, r.release, r.namespace, r.timeout)


def desired_values(run: ClusterRun) -> tuple[list[Any], dict[str, Any]]:
    """The values files ampctl writes for the run's cluster, and the values helm gets: those files, then the user's
    -f files and --set, as helm merges them."""
    from ampctl.render.values import values_files

    files = values_files(run.spec())
    return files, valuesmod.merged([f.content for f in files], run.request.extra_values, run.request.set_values)


class InstallKubecost(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ("workspace",)
    # Installed once everything its pods use exists; the recording rules and the fleet-shape tags are not among it.
    after: tuple[str, ...] = (
        "oidc-provider", "pod-identity-agent", "bucket", "s3-policy", "roles", "workspace-roles", "assume-policies",
        "namespace", "service-accounts", "pod-identity-associations", "secrets", "recovered-release",
        "storage-check", "ebs-csi-role", "ebs-csi-association", "storage", "capacity",
        "kubernetes-version",
    )  # fmt: skip
    gives: tuple[str, ...] = ("release",)

    def __init__(self, run: ClusterRun, release: Release | None) -> None:
        r = run.request
        self.on_amp = r.line.on_amp
        if not self.on_amp:
            self.needs = ()  # 3.x: no workspace
        self.line = r.line
        self.chart_name = r.line.chart_name
        self.title = f"helm release {r.namespace}/{r.release} ({self.chart_name} {r.chart_version})"
        self._release = release  # as deployed when the plan was made (None: not installed)

    def _values(self, run: ClusterRun) -> tuple[list[Any], dict[str, Any]]:
        return desired_values(run)

    def check(self, run: ClusterRun) -> Change:
        r = run.request
        release = self._release
        run.outputs["release"] = {"name": r.release, "namespace": r.namespace, "chart_version": r.chart_version}
        if release is None:
            return Change.create()
        if run.workspace_id is None and self.on_amp:
            return Change.update("the new workspace")
        _, desired = self._values(run)
        drift = []
        if release.status != "deployed":
            drift.append(f"release is {release.status}")
        if release.chart_version != r.chart_version:
            drift.append(f"chart {release.chart_version} -> {r.chart_version}")
        changed = valuesmod.diff_keys(release.values, desired)
        if changed:
            drift.append(f"values: {valuesmod.listed(changed, 4)}")
        run.outputs["release"]["revision"] = release.revision
        return Change.update("; ".join(drift)) if drift else Change.unchanged(f"revision {release.revision}")

    def write_files(self, run: ClusterRun) -> list[str]:
        files, _ = self._values(run)
        directory = Path(run.request.values_dir) / run.cluster
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for index, file in enumerate(files, start=1):
            path = directory / f"{index:02d}-{file.name}"
            path.write_text(file.content)
            os.chmod(path, file.mode)
            paths.append(str(path))
        run.outputs["files"] = paths + list(run.request.extra_values)
        return paths

    def apply(self, run: ClusterRun, change: Change) -> None:
        r = run.request
        run.wait_workspace()
        self.write_files(run)
        _, desired = self._values(run)
        chart = self.chart_name if r.chart_repo else r.chart
        if self.line.chart is not None and not r.chart_repo and "chart" not in r.given:
            chart = self.line.chart  # the default chart is the line's: 3.x is the `kubecost` chart
        watch = ReleaseWatch(run.kube, r.namespace)
        try:
            revision = run.helm.install(
                r.release, r.namespace, chart, repo=r.chart_repo, version=r.chart_version, values=desired,
                timeout=r.timeout, watch=watch.poll,
            )  # fmt: skip
        except AmpctlError:
            _roll_back(run)
            raise
        run.outputs["release"]["revision"] = revision
