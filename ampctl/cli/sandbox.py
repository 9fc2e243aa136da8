"""`ampctl sandbox`: the local stack of real components that ampctl, kubectl and helm can use."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ampctl import output
from ampctl.errors import AmpctlError

app = typer.Typer(help="Run a local AWS + EKS + AMP sandbox on 127.0.0.1.", no_args_is_help=True)
clock_app = typer.Typer(
    help="The sandbox's AWS clock: the time in the Date header of its answers (the real time plus an offset).",
    no_args_is_help=True,
)
app.add_typer(clock_app, name="clock")

StateDirOpt = typer.Option(
    None,
    "--state-dir",
    envvar="AMPCTL_SANDBOX_DIR",
    help="Where the sandbox keeps its state (default: $XDG_STATE_HOME/ampctl/sandbox).",
    show_default=False,
)


def _state_dir(value: Optional[Path]) -> Path:
    from ampctl.sandbox.config import default_state_dir

    return (value or default_state_dir()).resolve()


def offset_seconds(text: str, option: str) -> float:
    """A non-negative duration (90s, 36h, 2d, 1d12h): the sandbox's AWS clock only moves forward."""
    from ampctl.doctor.options import parse_duration

    if text.strip().startswith("-"):
        raise AmpctlError(
            f"{option} {text!r} is negative: the sandbox's AWS clock only moves forward",
            "give a duration like 2d or 36h; `ampctl sandbox clock reset` goes back to the offset it started with",
        )
    try:
        return parse_duration(text, option)
    except AmpctlError:
        raise AmpctlError(
            f"{option} {text!r} is not a duration", f"write it like 90s, 15m, 36h, 2d or 1d12h, e.g. {option} 2d"
        ) from None


@app.command()
def up(
    state_dir: Optional[Path] = StateDirOpt,
    clusters: int = typer.Option(3, "--clusters", min=1, max=100, help="How many EKS clusters to emulate."),
    region: str = typer.Option("us-east-2", "--region", help="Region of the emulated clusters."),
    no_oidc_providers: bool = typer.Option(
        False, "--no-oidc-providers", help="Leave the clusters' IAM OIDC providers out."
    ),
    latency_ms: int = typer.Option(0, "--latency-ms", min=0, help="Added latency per AWS request."),
    throttle_rate: float = typer.Option(0.0, "--throttle-rate", min=0, max=1, help="P(throttled)."),
    error_rate: float = typer.Option(0.0, "--error-rate", min=0, max=1, help="P(5xx answer)."),
    lost_rate: float = typer.Option(0.0, "--lost-rate", min=0, max=1, help="P(change made, 500 answered)."),
    fault_seed: Optional[int] = typer.Option(None, "--fault-seed", help="Seed for fault injection."),
    feeder_interval: float = typer.Option(5.0, "--feeder-interval", min=0.1, help="Seconds between writes."),
    charts: Optional[Path] = typer.Option(
        None,
        "--charts",
        help="Serve the chart packages (*.tgz) in this directory instead of the stand-in charts.",
        show_default=False,
    ),
    workspace_account: bool = typer.Option(
        False,
        "--workspace-account",
        help="Add a second AWS account for the AMP workspace, with a role the operator may assume "
        "(for --workspace-account-role).",
    ),
    modern: bool = typer.Option(
        False,
        "--modern",
        help="Clusters as EKS creates them today: no default StorageClass, no EBS CSI driver until installed, "
        "claims bound only by a running provisioner, pods scheduled against node capacity.",
    ),
    auto_mode: list[str] = typer.Option(
        [], "--auto-mode", help="An EKS Auto Mode cluster (repeatable; its storage is Auto Mode's with --modern)."
    ),
    small_nodes: list[str] = typer.Option(
        [], "--small-nodes", help="A cluster with one t3.nano-sized node (repeatable; implies --modern for it)."
    ),
    pod_start: float = typer.Option(
        0.0, "--pod-start", min=0, help="Seconds from a pod's scheduling to its readiness (image pull, probes)."
    ),
    clock_offset: str = typer.Option(
        "0s",
        "--clock-offset",
        help="Put the AWS emulator's clock (its answers' Date header) this far ahead of the real time: 36h, 2d.",
    ),
) -> None:
    """Start the sandbox (idempotent: a running sandbox is reported, not restarted)."""
    from ampctl.sandbox import manager
    from ampctl.sandbox.config import DEFAULT_CLUSTERS, WORKSPACE_ACCOUNT_ID, Faults, SandboxConfig

    offset = offset_seconds(clock_offset, "--clock-offset")
    names = list(DEFAULT_CLUSTERS[:clusters]) + [f"sandbox-{i}" for i in range(4, clusters + 1)]
    unknown = sorted(set(auto_mode + small_nodes) - set(names))
    if unknown:
        raise AmpctlError(f"no sandbox cluster named {', '.join(unknown)}", f"use one of {', '.join(names)}")
    config = SandboxConfig(
        state_dir=_state_dir(state_dir),
        region=region,
        clusters=tuple(names),
        oidc_providers=not no_oidc_providers,
        faults=Faults(latency_ms, throttle_rate, error_rate, lost_rate, seed=fault_seed),
        feeder_interval=feeder_interval,
        charts_dir=charts.resolve() if charts else None,
        workspace_account=WORKSPACE_ACCOUNT_ID if workspace_account else None,
        auto_mode_clusters=tuple(auto_mode),
        modern=modern,
        small_node_clusters=tuple(small_nodes),
        pod_start_seconds=pod_start,
        clock_offset_seconds=offset,
    )
    output.info("starting the sandbox…")
    state, started = manager.up(config)
    if offset and not started:
        output.warn("the sandbox was already running: --clock-offset is ignored (`ampctl sandbox clock advance`)")
    _report(state, "started" if started else "already running")


@app.command()
def down(
    state_dir: Optional[Path] = StateDirOpt,
) -> None:
    """Stop the sandbox and every process it started."""
    from ampctl.sandbox import manager

    result = manager.down(_state_dir(state_dir))
    if output.is_json():
        output.emit_json({"stopped": result.stopped, "already_stopped": result.already_stopped})
    elif result.already_stopped:
        output.info("the sandbox is not running")
    else:
        output.info(f"stopped the sandbox ({len(result.stopped)} processes)")


@app.command()
def status(
    state_dir: Optional[Path] = StateDirOpt,
) -> None:
    """Show whether the sandbox runs, and its endpoints."""
    from ampctl.errors import AmpctlError
    from ampctl.sandbox import manager

    state = manager.running_state(_state_dir(state_dir))
    if state is None:
        if output.is_json():
            output.emit_json({"running": False})
            raise typer.Exit(1)
        raise AmpctlError("the sandbox is not running", "start it with `ampctl sandbox up`")
    _report(state, "running")


@app.command()
def env(state_dir: Optional[Path] = StateDirOpt) -> None:
    """Print shell exports that point the AWS SDK, kubectl, helm and ampctl at the sandbox.

    Use: eval "$(ampctl sandbox env)"
    """
    from ampctl.errors import AmpctlError
    from ampctl.sandbox import manager

    state = manager.running_state(_state_dir(state_dir))
    if state is None:
        raise AmpctlError("the sandbox is not running", "start it with `ampctl sandbox up`")
    typer.echo(manager.env_script(state), nl=False)


def _report(state: object, status: str) -> None:
    from rich.table import Table

    from ampctl.sandbox.config import SandboxState

    assert isinstance(state, SandboxState)
    if output.is_json():
        output.emit_json({"running": True, "status": status, **state.to_json()})
        return
    table = Table(title=f"ampctl sandbox: {status}", show_header=True)
    table.add_column("component")
    table.add_column("endpoint")
    table.add_row("AWS emulator (STS, IAM, S3, EKS, AMP)", state.aws_endpoint)
    table.add_row("AMP query/remote-write emulator", state.amp_endpoint)
    where = f"charts from {state.charts}" if state.charts else "stand-in charts"
    table.add_row(f"chart repository ({where})", state.chart_repo)
    for cluster in state.clusters.values():
        table.add_row(f"Kubernetes API {cluster.name}", f"{cluster.api_url}  ({cluster.context})")
    table.add_row("kubeconfig", state.kubeconfig)
    if state.workspace_account:
        from ampctl.sandbox.config import workspace_admin_role_arn

        table.add_row(
            f"workspace account {state.workspace_account}",
            f"--workspace-account-role {workspace_admin_role_arn(state.workspace_account)}",
        )
    output.show(table)
    output.info('next: eval "$(ampctl sandbox env)"')


def _clock(state_dir: Optional[Path], change: dict[str, object] | None = None) -> None:
    from ampctl.doctor.options import format_age
    from ampctl.sandbox import manager
    from ampctl.sandbox.aws import clock

    state = manager.running_state(_state_dir(state_dir))
    if state is None:
        raise AmpctlError("the sandbox is not running", "start it with `ampctl sandbox up`")
    shown = clock.request(state.aws_endpoint, change)
    if output.is_json():
        output.emit_json(shown)
        return
    offset = float(shown["offset_seconds"])
    typer.echo(f"AWS clock  {shown['aws_now']}  (real time + {format_age(offset)})")
    typer.echo(f"real time  {shown['real_now']}")


@clock_app.command("show")
def clock_show(state_dir: Optional[Path] = StateDirOpt) -> None:
    """Show the sandbox's AWS time, the real time and the offset between them."""
    _clock(state_dir)


# "-1h" reaches the argument (and its one-line refusal) instead of being taken for an unknown option.
@clock_app.command("advance", context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]})
def clock_advance(
    duration: str = typer.Argument(..., help="How far to move the clock on: 90s, 15m, 36h, 2d, 1d12h."),
    state_dir: Optional[Path] = StateDirOpt,
) -> None:
    """Move the sandbox's AWS clock forward (the Date header only: signatures, expiry and S3 times stay real)."""
    _clock(state_dir, {"advance_seconds": offset_seconds(duration, "DURATION")})


@clock_app.command("reset")
def clock_reset(state_dir: Optional[Path] = StateDirOpt) -> None:
    """Put the sandbox's AWS clock back to the offset it started with (`sandbox up --clock-offset`, else 0)."""
    _clock(state_dir, {"reset": True})
