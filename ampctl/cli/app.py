"""The Typer application: command registration, the global options and the error handler."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from ampctl import __version__, output
from ampctl.cli import add_cluster, bootstrap, doctor, render, sandbox
from ampctl.cli import status as status_cmd
from ampctl.cli import teardown as teardown_cmd
from ampctl.cli import upgrade as upgrade_cmd
from ampctl.cli.globals import EPILOG, GLOBALS, hoist
from ampctl.cli.options import OutputFormat

app = typer.Typer(
    name="ampctl",
    help="Provision and troubleshoot Kubecost on Amazon EKS with Amazon Managed Service for Prometheus.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("bootstrap", epilog=EPILOG)(bootstrap.bootstrap)
app.command("add-cluster", epilog=EPILOG)(add_cluster.add_cluster)
app.command("render", epilog=EPILOG)(render.render)
app.command("doctor", epilog=EPILOG)(doctor.doctor)
app.command("status", epilog=EPILOG)(status_cmd.status)
app.command("teardown", epilog=EPILOG)(teardown_cmd.teardown)
app.command("upgrade", epilog=EPILOG)(upgrade_cmd.upgrade)
app.add_typer(sandbox.app, name="sandbox")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ampctl {__version__}")
        raise typer.Exit()


@app.callback(epilog=EPILOG)
def root(
    output_format: OutputFormat = typer.Option(
        OutputFormat.text, "--output", "-o", help="Output format: text for people, json for machines."
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="Name every AWS call and helm command."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors and the result."),
    profile: Optional[str] = typer.Option(None, "--profile", help="AWS profile (default: AWS_PROFILE)."),
    region: Optional[str] = typer.Option(
        None, "--region", help="AWS region of a cluster whose context is not an EKS context ARN."
    ),
    kubeconfig: Optional[str] = typer.Option(
        None, "--kubeconfig", help="kubeconfig file (default: KUBECONFIG, else ~/.kube/config)."
    ),
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Provision and troubleshoot Kubecost on Amazon EKS with Amazon Managed Service for Prometheus."""
    output.settings.output = output_format.value
    output.settings.verbosity = -1 if quiet else verbose
    if verbose:
        output.trace_helm()
    GLOBALS.profile, GLOBALS.region, GLOBALS.kubeconfig = profile, region, kubeconfig


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: run the app and map every outcome to an exit code."""
    from ampctl.cli.errorhandler import handle

    args = hoist(list(sys.argv[1:] if argv is None else argv))
    code = handle(lambda: app(args=args, standalone_mode=False, prog_name="ampctl"))
    if _HEAVY & set(sys.modules):
        _exit_now(code)
    sys.exit(code)


# Once these are loaded, the interpreter's own teardown (freeing ~200k objects one by one) takes ~0.3 s.
_HEAVY = {"botocore", "kubernetes"}


def _exit_now(code: int) -> None:
    """End the process as soon as the command is done: exit handlers run and output is flushed, the
    interpreter's teardown is skipped (nothing of ampctl is left running: every pool is idle by now)."""
    import atexit
    import contextlib
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
