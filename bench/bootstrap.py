"""Benchmark: `bootstrap --federated` against the published guide's flow, with 0 and 100 ms added per AWS request.

For each latency, on a fresh sandbox world:
- the scripted guide (the reference): the guide's calls in sequence, each `aws` command as its own Python
  process making the boto3 call (the AWS CLI is botocore in a Python process), then kubectl and helm;
- `ampctl bootstrap --federated --yes` on a reset world, and the dependent AWS round trips it made (the
  longest chain of calls each started after the previous one ended, from the sandbox's call log);
- a re-run on the unchanged world: its time against the first run, and its mutating calls (goal 0).

Prints the ratios the goals are judged by (issue 12). Figures only, no asserts.

    .venv/bin/python bench/bootstrap.py [--latency 0 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from pathlib import Path

import common

PRIMARY = "sandbox-primary"
AWS_CALL = textwrap.dedent("""
    import json, sys, boto3
    service, op, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    print(json.dumps(getattr(boto3.client(service), op)(**params), default=str))
""")


def guide(sb: common.Sandbox, wd: Path, values: list[Path]) -> tuple[float, float]:
    """The guide's steps in order (workspace, bucket, policy, namespace, secret, two IRSA roles and
    ServiceAccounts, helm upgrade -i), one process per command, as a script following it would run."""
    account, region, cluster = sb.state.account, sb.state.region, PRIMARY
    bucket = f"guide-etl-{int(time.time() * 1000)}"
    ctx = sb.context(cluster)
    issuer = sb.state.clusters[cluster].issuer.removeprefix("https://")
    started = time.perf_counter()

    def aws(service: str, op: str, **params: object) -> None:
        sb.run([sys.executable, "-c", AWS_CALL, service, op, json.dumps(params)], wd)

    def kubectl(*args: str) -> None:
        sb.run([common.tool("kubectl"), "--context", ctx, *args], wd)

    kubectl("config", "current-context")
    aws("amp", "create_workspace", alias="guide-amp")
    aws("amp", "list_workspaces", alias="guide-amp")
    aws("sts", "get_caller_identity")
    aws("s3", "create_bucket", Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3_policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*"],
                 "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}  # fmt: skip
    aws("iam", "create_policy", PolicyName=f"guide-s3-{cluster}", PolicyDocument=json.dumps(s3_policy))
    store = wd / "federated-store.yaml"
    store.write_text(f"type: S3\nconfig:\n  bucket: {bucket}\n  region: {region}\n")
    kubectl("create", "namespace", "kubecost")
    kubectl("create", "secret", "generic", "kubecost-object-store", "-n", "kubecost", f"--from-file={store}")
    for sa, policies in (
        ("kubecost-cost-analyzer-amp", ["AmazonPrometheusQueryAccess", "AmazonPrometheusRemoteWriteAccess"]),
        ("kubecost-prometheus-server-amp", ["AmazonPrometheusQueryAccess", "AmazonPrometheusRemoteWriteAccess"]),
    ):
        # What `eksctl create iamserviceaccount` does, call by call.
        aws("eks", "describe_cluster", name=cluster)
        aws("iam", "list_open_id_connect_providers")
        statement = {
            "Effect": "Allow",
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/{issuer}"},
            "Condition": {"StringEquals": {f"{issuer}:sub": f"system:serviceaccount:kubecost:{sa}"}},
        }
        trust = {"Version": "2012-10-17", "Statement": [statement]}
        role = f"guide-{sa}"[:64]
        aws("iam", "create_role", RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
        for policy in policies:
            aws("iam", "attach_role_policy", RoleName=role, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
        kubectl("create", "serviceaccount", sa, "-n", "kubecost")
        annotation = f"eks.amazonaws.com/role-arn=arn:aws:iam::{account}:role/{role}"
        kubectl("annotate", "serviceaccount", sa, "-n", "kubecost", annotation)
    files = [arg for path in values for arg in ("-f", str(path))]
    chart = ["kubecost", "cost-analyzer", "--repo", sb.state.chart_repo, "--version", "2.8.7"]
    where = ["--namespace", "kubecost", "--kube-context", ctx]
    helm = sb.run([common.tool("helm3"), "upgrade", "-i", *chart, *where, "--wait", *files], wd)
    return time.perf_counter() - started, helm


def one_latency(latency: int, repeat: int) -> None:
    print(f"\nbootstrap --federated, +{latency} ms per AWS request (median of {repeat})", flush=True)
    firsts, reruns, guides, helms, chains, mutating = [], [], [], [], [], []
    with common.sandbox([PRIMARY, "sandbox-east"], latency_ms=latency) as sb:
        ctx = sb.context(PRIMARY)
        for _ in range(repeat):
            wd = common.workdir()
            sb.reset()
            # The values a guide user writes by hand: rendered once, not timed.
            sb.ampctl("bootstrap", "--federated", "--yes", "--context", ctx, cwd=wd)
            sb.ampctl("render", "--federated", "--context", ctx, "--out-dir", str(wd / "values"), cwd=wd)
            sb.reset()
            total, helm = guide(sb, wd, sorted((wd / "values").glob("*.yaml")))
            guides.append(total)
            helms.append(helm)
            sb.reset()
            sb.clear_calls()
            firsts.append(sb.ampctl("bootstrap", "--federated", "--yes", "--context", ctx, cwd=wd))
            chains.append(common.chain(sb.calls()))
            sb.clear_calls()
            reruns.append(sb.ampctl("bootstrap", "--federated", "--yes", "--context", ctx, cwd=wd))
            mutating.append(sum(1 for c in sb.calls() if c["mutating"]))
    first, rerun, ref = common.median(firsts), common.median(reruns), common.median(guides)
    depth, helm = int(common.median(chains)), common.median(helms)
    floor = depth * latency / 1000 + helm
    common.line("scripted guide (reference)", f"{ref:6.2f} s")
    common.line("ampctl bootstrap --federated", f"{first:6.2f} s   {ref / first:4.1f}x faster than the guide")
    common.line("one helm upgrade --install --wait on its own", f"{helm:6.2f} s")
    if latency:  # without added latency, calls made back to back look dependent: no figure
        added = f"({depth * latency / 1000:.2f} s of added latency)"
        common.line("dependent AWS round trips it made", f"{depth:6d}     {added}")
        common.line("bootstrap / (round trips x latency + helm install)", f"{first / floor:6.2f}x  (goal <= 1.3x)")
    common.line("re-run, nothing to change", f"{rerun:6.2f} s   {rerun / first:4.2f}x the first run")
    common.line("mutating AWS calls in the re-run", f"{max(mutating):6d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=int, nargs="+", default=[0, 100])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for latency in args.latency:
        one_latency(latency, args.repeat)


if __name__ == "__main__":
    main()
