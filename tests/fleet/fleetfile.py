"""The federated fleet from a fleet file, shared by the fleet, status and teardown tests."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Sandbox, ok

PRIMARY, EAST, WEST = "sandbox-primary", "sandbox-east", "sandbox-west"
FLEET_NAME = "demo"


def fleet_yaml(sandbox: Sandbox, **extra: str) -> str:
    lines = [
        "apiVersion: ampctl/v1",
        "kind: Fleet",
        f"name: {FLEET_NAME}",
        f"region: {sandbox.state.region}",
        "federated: true",
        "primary:",
        f"  context: {sandbox.context(PRIMARY)}",
        "clusters:",
        f"  - name: {EAST}",
        f"    context: {sandbox.context(EAST)}",
        f"  - context: {sandbox.context(WEST)}",
        "    values: [west.yaml]",
    ]
    return "\n".join(lines + [f"{k}: {v}" for k, v in extra.items()]) + "\n"


def bring_up(sandbox: Sandbox, work: Path) -> Path:
    """Reset the sandbox and build the federated fleet from a fleet file: one bootstrap, one add-cluster."""
    sandbox.reset()
    path = work / "ampctl.yaml"
    path.write_text(fleet_yaml(sandbox))
    (work / "west.yaml").write_text("kubecostProductConfigs:\n  labelMappingConfigs:\n    team_label: team\n")
    ok(sandbox.ampctl("bootstrap", "-F", str(path), "--yes", cwd=work))
    ok(sandbox.ampctl("add-cluster", "-F", str(path), "--parallel", "2", "--yes", cwd=work))
    return path
