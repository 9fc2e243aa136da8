"""The fleet file: validation with precise messages, and bootstrap -f / add-cluster -f on the sandbox."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ampctl.errors import AmpctlError
from ampctl.fleet import is_fleet_file, load
from tests.conftest import Sandbox, ok
from tests.fleet.fleetfile import EAST, FLEET_NAME, PRIMARY, WEST, bring_up


@pytest.fixture(scope="module")
def fleet_file(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bring_up(sandbox, tmp_path_factory.mktemp("fleet"))


def release_values(sandbox: Sandbox, helm3: str, cluster: str) -> dict:
    argv = [helm3, "--kubeconfig", sandbox.state.kubeconfig, "--kube-context", sandbox.context(cluster)]
    proc = subprocess.run([*argv, "get", "values", "kubecost", "-n", "kubecost", "-o", "json"], capture_output=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_fleet_file_brings_up_three_tagged_clusters(sandbox: Sandbox, fleet_file: Path, helm3: str) -> None:
    iam = sandbox.client("iam")
    for cluster in (PRIMARY, EAST, WEST):
        for component in ("cost-analyzer", "prometheus-server"):
            tags = iam.list_role_tags(RoleName=f"kubecost-{cluster}-{component}")["Tags"]
            assert {"Key": "ampctl/fleet", "Value": FLEET_NAME} in tags
            assert {"Key": "ampctl/cluster", "Value": cluster} in tags
    west = json.loads(
        sandbox.ampctl("add-cluster", "-F", str(fleet_file), "--only", WEST, "--dry-run", "-o", "json").stdout
    )
    assert [c["cluster"] for c in west["clusters"]] == [WEST]
    assert all(s["action"] == "unchanged" for s in west["clusters"][0]["steps"])
    west_values = release_values(sandbox, helm3, WEST)["kubecostProductConfigs"]
    assert west_values["labelMappingConfigs"] == {"team_label": "team"}
    assert "labelMappingConfigs" not in release_values(sandbox, helm3, EAST)["kubecostProductConfigs"]


def test_flags_override_the_file(sandbox: Sandbox, fleet_file: Path) -> None:
    proc = sandbox.ampctl(
        "add-cluster", "-F", str(fleet_file), "--only", EAST, "--namespace", "other", "--dry-run", "-o", "json"
    )
    steps = {s["step"]: s["action"] for s in ok(proc)["clusters"][0]["steps"]}
    assert steps["namespace other"] == "create"
    unknown = sandbox.ampctl("add-cluster", "-F", str(fleet_file), "--only", "nope", "--dry-run")
    assert unknown.returncode == 1 and "--only nope: not among the clusters" in unknown.stderr


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "ampctl.yaml"
    path.write_text(text)
    return str(path)


GOOD = """apiVersion: ampctl/v1
kind: Fleet
name: prod
region: us-east-1
primary:
  context: arn:aws:eks:us-east-1:111122223333:cluster/a
clusters:
  - context: arn:aws:eks:us-east-1:111122223333:cluster/b
  - name: c
    context: kind-c
    values: [c.yaml]
"""


def test_a_valid_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    fleet = load(path)
    assert is_fleet_file(path)
    assert fleet.name == "prod" and [m.name for m in fleet.members] == ["a", "b", "c"]
    assert fleet.clusters[1].values == (str(tmp_path / "c.yaml"),)
    assert load(write(tmp_path, GOOD + "identity: pod-identity\n")).given()["identity"] == "pod-identity"
    values = tmp_path / "v.yaml"
    values.write_text("kind: Fleet2\n")
    assert not is_fleet_file(str(values))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("region: us-east-1", "region: us-east-1\nbucket_name: x"), r":5: unknown key 'bucket_name'"),
        (("region: us-east-1", "region: us-east-1\nfederated: maybe"), r":5: federated must be true or false"),
        (("region: us-east-1", "region: us-east-1\nidentity: podid"), r":5: identity: unknown identity 'podid'"),
        (("    values: [c.yaml]", "    values: c.yaml"), r":11: clusters[1].values must be a list of file paths"),
        (("  - name: c\n", "  - name: a\n"), r":9: clusters[1]: duplicate cluster_id 'a': primary"),
        (
            ("  - context: arn:aws:eks:us-east-1:111122223333:cluster/b\n", "  - name: c\n    context: kind-b\n"),
            r":10: clusters[1]: duplicate cluster name 'c' (also clusters[0])",
        ),
        (
            ("  - name: c\n    context: kind-c\n", "  - name: b\n    context: kind-b\n"),
            r":9: clusters[1]: duplicate cluster_id 'b': clusters[0] reports under the same cluster_id",
        ),
        (("primary:\n  context: arn:aws:eks:us-east-1:111122223333:cluster/a\n", ""), r":1: missing 'primary'"),
        (("kind: Fleet", "kind: Other"), r":1: kind must be 'Fleet'"),
        (("name: prod\n", ""), r":1: missing 'name'"),
        (("region: us-east-1", "region: eu-west-1"), r":6: primary: context 'arn:aws:eks:us-east-1"),
    ],
)
def test_malformed_files_are_refused_precisely(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(AmpctlError) as info:
        load(path)
    assert info.value.message.startswith(path), info.value.message
    assert message in info.value.message, info.value.message


def test_cli_refuses_a_malformed_file_before_any_change(sandbox: Sandbox, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("name: prod", "name: prod\nclusterz: []"))
    sandbox.clear_aws_calls()
    proc = sandbox.ampctl("bootstrap", "-F", path, "--yes")
    assert proc.returncode == 1
    assert f"{path}:4: unknown key 'clusterz'" in " ".join(proc.stderr.split())
    assert sandbox.aws_mutations() == []
