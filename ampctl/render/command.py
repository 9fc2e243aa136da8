"""The helm command line for one cluster, and the same as a shell script."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence

from ampctl.errors import AmpctlError
from ampctl.spec import DEFAULT_CHART, ClusterSpec

DEFAULT_TIMEOUT = "10m"

# --set keys that break the install: (key, value allowed, why).
_FORBIDDEN_SETS = (
    ("prometheus.server.remoteWrite", None, "global.amp.remoteWriteService already writes to AMP"),
    ("federatedETL.useExistingS3Config", "false", "ampctl configures the object store through its own Secret"),
)


def _check_set_values(set_values: Iterable[str]) -> None:
    for item in set_values:
        if not item.split("=", 1)[0] or "=" not in item:
            raise AmpctlError(
                f"invalid --set {item!r}: expected KEY=VALUE",
                "for example --set kubecostModel.logLevel=debug",
            )
        for part in re.split(r"(?<!\\),", item):
            key, _, value = part.partition("=")
            for forbidden, allowed, why in _FORBIDDEN_SETS:
                matches = key == forbidden or key.startswith((forbidden + ".", forbidden + "["))
                if matches and value != allowed:
                    raise AmpctlError(f"refusing --set {key}={value}: {why}", f"drop the --set for {forbidden}")


def helm_command(
    spec: ClusterSpec,
    values_paths: Sequence[str],
    extra_values: Sequence[str] = (),
    set_values: Sequence[str] = (),
    chart: str = DEFAULT_CHART,
    timeout: str = DEFAULT_TIMEOUT,
) -> list[str]:
    """The helm argv: ampctl's values files in order, then the user's -f files, then --set."""
    _check_set_values(set_values)
    argv = ["helm", "upgrade", "--install", spec.release, chart, "--version", spec.chart_version]
    argv += ["--namespace", spec.namespace, "--create-namespace", "--atomic", "--timeout", timeout]
    for path in [*values_paths, *extra_values]:
        argv += ["-f", path]
    for item in set_values:
        argv += ["--set", item]
    return argv


_VALUED_OPTIONS = {"--version", "--namespace", "--timeout", "-f", "--set"}


def shell_script(spec: ClusterSpec, argv: list[str], local: set[str]) -> str:
    """The helm argv as a POSIX script; files named in `local` are found next to the script."""

    def word(token: str) -> str:
        return f'"$here/{token}"' if token in local else shlex.quote(token)

    lines = [" ".join(word(t) for t in argv[:5])]
    rest = argv[5:]
    while rest:
        take = 2 if rest[0] in _VALUED_OPTIONS else 1
        lines.append("  " + " ".join(word(t) for t in rest[:take]))
        rest = rest[take:]
    return (
        "#!/bin/sh\n"
        f"# Install or upgrade Kubecost {spec.chart_version} on cluster {spec.cluster}.\n"
        f"# First create namespace {spec.namespace}, then apply serviceaccounts.yaml and any *-secret.yaml.\n"
        "set -eu\n"
        'here=$(cd "$(dirname "$0")" && pwd)\n'
        "exec " + " \\\n".join(lines) + "\n"
    )
