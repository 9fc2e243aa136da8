"""The sandbox daemon: hosts every emulator in one process until it receives SIGTERM.

Started by `ampctl sandbox up` as `python -m ampctl.sandbox.daemon <config.json>`. It writes
`state.json` (ports, pids, cluster contexts) and `kubeconfig` into the state directory only
once every component answers, so the presence of `state.json` means "ready".
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

from ampctl.sandbox import realistic
from ampctl.sandbox.config import ClusterState, SandboxConfig, SandboxState, context_name
from ampctl.sandbox.control import ControlServer
from ampctl.sandbox.kubeconfig import write_kubeconfig


def run(config: SandboxConfig) -> None:
    from ampctl.sandbox.amp.emulator import AmpEmulator
    from ampctl.sandbox.aws.emulator import AwsEmulator
    from ampctl.sandbox.kubeapi import KubeEmulator
    from ampctl.sandbox.kubecost.chartrepo import build_chart_repo
    from ampctl.sandbox.kubecost.standin import KubecostStandIn

    state_dir = config.state_dir
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    aws = AwsEmulator(config)
    aws.start()
    kube = KubeEmulator(clusters=list(config.clusters), profiles=realistic.profiles(config))
    realistic.connect(kube, aws)
    kube.start()
    amp = AmpEmulator(aws, config.prometheus_bin, state_dir / "amp")
    amp_url = amp.start()
    standin = KubecostStandIn(
        kube, aws, amp_url, {name: config.region for name in config.clusters}, config.feeder_interval
    )
    control = ControlServer(state_dir / "charts", standin)
    control_url = control.start()
    build_chart_repo(state_dir / "charts", f"{control_url}/charts", config.charts_dir)
    standin.start()
    try:
        clusters = {
            name: ClusterState(
                name=name,
                api_url=kube.url(name),
                issuer=aws.cluster_issuer(name),
                context=context_name(config.region, config.account, name),
            )
            for name in config.clusters
        }
        kubeconfig = state_dir / "kubeconfig"
        write_kubeconfig(kubeconfig, clusters.values())
        state = SandboxState(
            pid=os.getpid(),
            region=config.region,
            account=config.account,
            aws_endpoint=aws.endpoint,
            amp_endpoint=amp_url,
            chart_repo=f"{control_url}/charts",
            control_url=control_url,
            kubeconfig=str(kubeconfig),
            clusters=clusters,
            child_pids=[],
            charts=str(config.charts_dir or ""),
            workspace_account=config.workspace_account or "",
        )
        _write_state(state_dir, state)
        while not stop.wait(1.0):
            pids = amp.child_pids()
            if pids != state.child_pids:
                state.child_pids = pids
                _write_state(state_dir, state)
    finally:
        standin.stop()
        control.stop()
        amp.stop()
        kube.stop()
        aws.stop()
        (state_dir / "state.json").unlink(missing_ok=True)


def _write_state(state_dir: Path, state: SandboxState) -> None:
    tmp = state_dir / "state.json.tmp"
    tmp.write_text(json.dumps(state.to_json(), indent=2))
    tmp.replace(state_dir / "state.json")


def main(argv: list[str]) -> None:
    config = SandboxConfig.from_json(json.loads(Path(argv[1]).read_text()))
    run(config)


if __name__ == "__main__":
    main(sys.argv)
