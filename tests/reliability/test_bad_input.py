"""Bad input is refused before any AWS or Kubernetes call: one line plus a hint, exit 1, nothing touched."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import Sandbox
from tests.reliability.world import PRIMARY, aws_calls

FILES = {
    "broken.yaml": "kubecostProductConfigs:\n  clusterName: [a, b\n  other: 1\n",
    "list.yaml": "- a\n- b\n",
    "empty-key": "",
    "badfleet.yaml": "apiVersion: ampctl/v1\nkind: Fleet\nname: x\nprimary:\n  context: c\ncolour: blue\n",
}

# (extra arguments to `bootstrap --context <primary>`, what the one line must say)
CORPUS = [
    (["--values", "/nonexistent.yaml"], "cannot read values file /nonexistent.yaml"),
    (["--values", "broken.yaml"], "broken.yaml:3:8: "),
    (["--values", "list.yaml"], "list.yaml must hold a mapping"),
    (["--set", "noequalsign"], "--set 'noequalsign': expected key=value"),
    (["--set", "a..b=1"], "empty key segment"),
    (["--product-key-file", "/nonexistent.key", "--federated"], "cannot read --product-key-file"),
    (["--product-key-file", "empty-key", "--federated"], "is empty"),
    (["-F", "badfleet.yaml"], "badfleet.yaml:6"),
    (["--namespace", "Bad_NS"], "invalid"),
    (["--release", "-rel"], "invalid"),
    (["--alias", ""], "invalid"),
    (["--bucket", "UPPER", "--federated"], "invalid S3 bucket name"),
    (["--kubecost-version", "9.9.9"], "9.9.9"),
    (["--timeout", "10x"], "invalid --timeout '10x'"),
    (["--timeout", "0s"], "invalid --timeout '0s'"),
    (["--workspace-id", "bad id"], "invalid workspace id"),
    (["--prom-cluster-id-label", "1abc"], "invalid Prometheus label name"),
    (["--storage-class", "Bad_Class"], "invalid StorageClass name"),
    (["--storage-class", "gp3", "--create-storage-class"], "--storage-class and --create-storage-class both"),
    (["teardown", "--namespace", "Bad_NS"], "invalid"),
    (["teardown", "--release", "-rel"], "invalid"),
    (["upgrade", "--to", "2.10.0"], "Kubecost chart 2.10.0 was never released"),
    (["upgrade", "--to", "2.9.1"], "Kubecost 2.9.1 cannot run on AMP"),
    (["upgrade", "--to", "2.9.7", "--max-parallel", "0"], "--max-parallel 0 is not a number of clusters"),
    (["upgrade", "--to", "2.9.7", "--gate-wait", "soon"], "--gate-wait 'soon' is not a duration"),
    (["upgrade", "--to", "2.9.7", "--canary", "nope"], "--canary nope is not one of the clusters chosen"),
    (["upgrade", "--to", "2.9.7", "--timeout", "10x"], "invalid --timeout '10x'"),
]


def _kube_requests(sandbox: Sandbox) -> int:
    total = 0
    for cluster in sandbox.state.clusters.values():
        with urllib.request.urlopen(f"{cluster.api_url}/_sandbox/requests", timeout=30) as resp:
            total += sum(json.loads(resp.read()).values())
    return total


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize(("args", "said"), [(list(a), s) for a, s in CORPUS], ids=[" ".join(a) for a, _ in CORPUS])
def test_bad_input_touches_nothing(sandbox: Sandbox, inputs: Path, args: list[str], said: str) -> None:
    sandbox.clear_aws_calls()
    kube_before = _kube_requests(sandbox)
    command = [args.pop(0)] if args[0] in ("teardown", "upgrade") else ["bootstrap"]
    proc = sandbox.ampctl(*command, "--context", sandbox.context(PRIMARY), *args, "--yes", cwd=inputs)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), proc.stderr
    assert said in lines[0]
    assert aws_calls(sandbox) == []
    assert _kube_requests(sandbox) == kube_before
