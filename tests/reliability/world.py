"""What exists in the sandbox, listed from the emulators; fault settings; the fleet cycle.

Shared by the reliability tests and bench/faults.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import TOOLS, Sandbox

PRIMARY, EAST, WEST = "sandbox-primary", "sandbox-east", "sandbox-west"
ALIAS = "kubecost-amp"
MANAGED_TAG = {"Key": "managed-by", "Value": "ampctl"}
MANAGED_LABEL = "app.kubernetes.io/managed-by=ampctl"


def set_faults(sandbox: Sandbox, **settings: float | list[str]) -> dict[str, Any]:
    """Switch the AWS emulator's fault injection at run time (no argument: none)."""
    data = json.dumps(settings).encode()
    req = urllib.request.Request(
        f"{sandbox.state.aws_endpoint}/_sandbox/faults", data=data, method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(req, timeout=30) as resp:
        return dict(json.loads(resp.read()))


def aws_calls(sandbox: Sandbox) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{sandbox.state.aws_endpoint}/_sandbox/calls", timeout=30) as resp:
        return list(json.loads(resp.read()))


def fleet_file(sandbox: Sandbox, work: Path, others: tuple[str, ...] = (EAST, WEST)) -> Path:
    """A federated fleet: the primary and `others`."""
    path = work / "ampctl.yaml"
    lines = [
        "apiVersion: ampctl/v1", "kind: Fleet", "name: rel", f"region: {sandbox.state.region}",
        "federated: true", "primary:", f"  context: {sandbox.context(PRIMARY)}",
    ]  # fmt: skip
    lines += ["clusters:"] + [f"  - context: {sandbox.context(c)}" for c in others] if others else []
    path.write_text("\n".join(lines) + "\n")
    return path


def _unfaulted(sandbox: Sandbox, service: str) -> Any:
    """A client whose calls the emulator neither faults nor logs (as its own are)."""
    from ampctl.sandbox.aws.middleware import INTERNAL_HEADER

    client = sandbox.client(service)
    client.meta.events.register("before-send", lambda request, **_: request.headers.__setitem__(INTERNAL_HEADER, "1"))
    return client


def inventory(sandbox: Sandbox) -> dict[str, Any]:
    """Everything ampctl may have made, read past the fault injection."""
    amp, iam, s3 = (_unfaulted(sandbox, s) for s in ("amp", "iam", "s3"))
    workspaces = [
        w["status"]["statusCode"] for w in amp.list_workspaces(alias=ALIAS)["workspaces"] if w.get("alias") == ALIAS
    ]
    names = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    roles = sorted(n for n in names if MANAGED_TAG in iam.list_role_tags(RoleName=n)["Tags"])
    policies = sorted(p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"])
    buckets = sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
    kube: dict[str, list[str]] = {}
    for cluster in sandbox.state.clusters:
        core = sandbox.kube(cluster)
        found = [f"ns/{n.metadata.name}" for n in core.list_namespace(label_selector=MANAGED_LABEL).items]
        for s in core.list_secret_for_all_namespaces().items:
            labels = s.metadata.labels or {}
            if s.metadata.name.startswith("sh.helm.release"):
                found.append(f"helm/{labels.get('name')}:{labels.get('status')}")
            elif labels.get("app.kubernetes.io/managed-by") == "ampctl":
                found.append(f"secret/{s.metadata.name}")
        found += [
            f"sa/{a.metadata.name}"
            for a in core.list_service_account_for_all_namespaces(label_selector=MANAGED_LABEL).items
        ]
        kube[cluster] = sorted(found)
    return {"workspaces": workspaces, "roles": roles, "policies": policies, "buckets": buckets, "kube": kube}


def deployed(world: dict[str, Any], clusters: int = 3) -> list[str]:
    """What is wrong with a fully provisioned fleet of `clusters` (empty when it is right)."""
    problems = []
    live = [s for s in world["workspaces"] if s != "DELETING"]
    if live != ["ACTIVE"]:
        problems.append(f"workspaces {world['workspaces']}")
    if len(world["roles"]) != 2 * clusters:
        problems.append(f"roles {world['roles']}")
    if len(world["policies"]) != clusters:
        problems.append(f"policies {world['policies']}")
    if len(world["buckets"]) != 1:
        problems.append(f"buckets {world['buckets']}")
    for cluster, objects in list(world["kube"].items())[:clusters]:
        if "helm/kubecost:deployed" not in objects or any(":pending" in o for o in objects):
            problems.append(f"{cluster}: {objects}")
    return problems


def gone(world: dict[str, Any]) -> list[str]:
    """What a full teardown left behind (empty when nothing is left)."""
    problems = [f"{k} {world[k]}" for k in ("roles", "policies", "buckets") if world[k]]
    if [s for s in world["workspaces"] if s != "DELETING"]:
        problems.append(f"workspaces {world['workspaces']}")
    problems += [f"{c}: {objs}" for c, objs in world["kube"].items() if objs]
    return problems


def run(sandbox: Sandbox, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return sandbox.ampctl(*args, "--yes", cwd=work, timeout=600)


def up(sandbox: Sandbox, work: Path, fleet: Path) -> list[subprocess.CompletedProcess[str]]:
    return [
        run(sandbox, work, "bootstrap", "-F", str(fleet)),
        run(sandbox, work, "add-cluster", "-F", str(fleet), "--parallel", "2"),
    ]


def down(sandbox: Sandbox, work: Path, fleet: Path) -> subprocess.CompletedProcess[str]:
    return run(sandbox, work, "teardown", "-F", str(fleet), "--delete-workspace", "--delete-bucket", "--force")


def spawn(sandbox: Sandbox, work: Path, *args: str) -> subprocess.Popen[str]:
    """ampctl in its own process group (so helm, its child, can be killed with it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(sandbox.env)
    env["PATH"] = f"{TOOLS}{os.pathsep}{env.get('PATH', '')}"
    env["AMPCTL_HELM"] = str(TOOLS / "helm3")
    return subprocess.Popen(
        [sys.executable, "-m", "ampctl", *args, "--yes"], cwd=work, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip


def kill_when(proc: subprocess.Popen[str], ready: Callable[[], bool], deadline: float = 120) -> bool:
    """SIGKILL the whole process group once `ready()` holds; False when the run ended first."""
    end = time.monotonic() + deadline
    while time.monotonic() < end and proc.poll() is None:
        if ready():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return True
        time.sleep(0.05)
    proc.communicate()
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    return False
