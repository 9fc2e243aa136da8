"""`render --workspace-account-role`, offline: the role_arn values and the IAM documents of both accounts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

A, B = "444455556666", "111122223333"


def test_render_writes_the_chain_for_both_accounts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable, "-m", "ampctl", "render", "--out-dir", str(out), "--cluster", "prod", "--region",
            "us-east-1", "--account", B, "--oidc-issuer", "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE",
            "--workspace-id", "ws-1234", "--workspace-account-role", f"arn:aws:iam::{A}:role/admin",
        ],  # fmt: skip
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    values = yaml.safe_load((out / "03-cluster-values.yaml").read_text())
    assert values["sigV4Proxy"]["role_arn"] == f"arn:aws:iam::{A}:role/kubecost-prod-amp-query"
    assert values["global"]["amp"]["sigv4"]["role_arn"] == f"arn:aws:iam::{A}:role/kubecost-prod-amp-write"
    trust = json.loads((out / "iam" / "workspace-account" / "kubecost-prod-amp-query-trust.json").read_text())
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{B}:role/kubecost-prod-cost-analyzer"},
            "Action": "sts:AssumeRole",
        }
    ]
    assume = json.loads((out / "iam" / "kubecost-prod-prometheus-server-ampctl-assume-workspace-role.json").read_text())
    assert assume["Statement"][0]["Resource"] == f"arn:aws:iam::{A}:role/kubecost-prod-amp-write"
    assert assume["Statement"][0]["Action"] == "sts:AssumeRole"


def test_render_refuses_a_bad_role_arn(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ampctl", "render", "--out-dir", str(tmp_path), "--cluster", "prod", "--region",
         "us-east-1", "--workspace-account-role", "arn:aws:iam::1:role/x"],  # fmt: skip
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 1
    assert "invalid --workspace-account-role 'arn:aws:iam::1:role/x'" in proc.stderr
    assert list(tmp_path.iterdir()) == []
