"""Global options, declared once on the root command and accepted before or after the subcommand:
-o/--output, -v/--verbose, -q/--quiet, --profile, --region, --kubeconfig.

`hoist` moves those given after the subcommand in front of it, where the root command parses them; given in both
places, the later one wins. The sandbox's commands keep their own --region (the sandbox's region).
"""

from __future__ import annotations

from dataclasses import dataclass

WITH_VALUE = {"--output", "-o", "--profile", "--region", "--kubeconfig"}
FLAGS = {"--verbose", "-v", "--quiet", "-q"}
AWS_ONLY = {"--profile", "--region", "--kubeconfig"}
EPILOG = "Global options (-o, -v, -q, --profile, --region, --kubeconfig) work here too; see `ampctl --help`."


@dataclass
class Globals:
    profile: str | None = None
    region: str | None = None
    kubeconfig: str | None = None


GLOBALS = Globals()


def _global(token: str, sandbox: bool) -> tuple[bool, bool]:
    """(is a global option, takes the next token as its value)."""
    name = token.split("=", 1)[0]
    if sandbox and name in AWS_ONLY:
        return False, False
    if name in WITH_VALUE:
        return True, "=" in token or (token.startswith("-o") and len(token) > 2 and not token.startswith("--"))
    if name in FLAGS or (len(token) > 2 and token[0] == "-" and token[1] != "-" and set(token[1:]) <= {"v", "q"}):
        return True, True
    if token.startswith("-o") and not token.startswith("--"):
        return True, True  # -ojson
    return False, False


def hoist(argv: list[str]) -> list[str]:
    """argv with the global options that follow the subcommand moved before it."""
    head: list[str] = []
    i = 0
    while i < len(argv) and argv[i].startswith("-"):  # root options before the subcommand
        head.append(argv[i])
        if argv[i] in WITH_VALUE and i + 1 < len(argv):
            head.append(argv[i + 1])
            i += 1
        i += 1
    rest = argv[i:]
    sandbox = bool(rest) and rest[0] == "sandbox"
    moved: list[str] = []
    kept: list[str] = []
    j = 0
    while j < len(rest):
        token = rest[j]
        if token == "--":
            kept += rest[j:]
            break
        is_global, complete = _global(token, sandbox) if j > 0 else (False, False)
        if not is_global:
            kept.append(token)
        elif complete or j + 1 >= len(rest):
            moved.append(token)
        else:
            moved += [token, rest[j + 1]]
            j += 1
        j += 1
    return head + moved + kept
