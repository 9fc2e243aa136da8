"""Global options after the subcommand are moved before it; everything else stays where it was."""

from __future__ import annotations

import pytest

from ampctl.cli.globals import hoist


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["bootstrap", "--yes", "-v"], ["-v", "bootstrap", "--yes"]),
        (["bootstrap", "-q", "--context", "c"], ["-q", "bootstrap", "--context", "c"]),
        (["status", "-o", "json", "-F", "f.yaml"], ["-o", "json", "status", "-F", "f.yaml"]),
        (["status", "-ojson"], ["-ojson", "status"]),
        (["status", "--output=json", "-vv"], ["--output=json", "-vv", "status"]),
        (["-o", "json", "doctor", "--region", "eu-west-1"], ["-o", "json", "--region", "eu-west-1", "doctor"]),
        (["teardown", "--profile", "p", "--kubeconfig", "k", "--yes"], ["--profile", "p", "--kubeconfig", "k",
                                                                        "teardown", "--yes"]),
        (["sandbox", "up", "--region", "us-west-2", "-q"], ["-q", "sandbox", "up", "--region", "us-west-2"]),
        (["render", "--set", "a=b", "--", "-v"], ["render", "--set", "a=b", "--", "-v"]),
        (["bootstrap", "-f", "values.yaml"], ["bootstrap", "-f", "values.yaml"]),
        (["--version"], ["--version"]),
    ],
)  # fmt: skip
def test_hoist(argv: list[str], expected: list[str]) -> None:
    assert hoist(argv) == expected
