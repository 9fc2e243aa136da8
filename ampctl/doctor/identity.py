"""Identity and target: AWS credentials, the account, the EKS cluster, the AMP workspace."""

from __future__ import annotations

from ampctl.doctor.checkspec import CheckSpec
from ampctl.doctor.facts import Facts
from ampctl.doctor.findings import Findings
from ampctl.doctor.model import Result, fail, ok, warn


def credentials(facts: Facts, findings: Findings) -> Result:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        caller = facts.caller()
    except (BotoCoreError, ClientError) as exc:
        from ampctl.aws.errors import translate_aws_error

        error = translate_aws_error(exc)
        if error is None:
            return fail(f"sts get-caller-identity failed: {exc}", "check the AWS credentials (--profile)")
        return fail(f"sts get-caller-identity failed: {error.message}", error.hint or "check the AWS credentials")
    return ok(f"{caller['Arn']} (account {caller['Account']})")


def account(facts: Facts, findings: Findings) -> Result:
    if facts.target.account is None:
        return ok(f"context {facts.target.context} is not an EKS ARN; using account {facts.account}")
    if facts.target.account != facts.account:
        return fail(
            f"credentials are for account {facts.account}, the context is in account {facts.target.account}",
            "use credentials (--profile / AWS_PROFILE) for the cluster's account",
        )
    return ok(f"credentials and context both in account {facts.account}, region {facts.region}")


def cluster(facts: Facts, findings: Findings) -> Result:
    found = facts.eks_cluster()
    if found is None:
        return fail(
            f"EKS cluster {facts.cluster} not found in {facts.region}",
            "check --context, or --cluster/--region when the context is not an EKS ARN",
        )
    issuer = facts.issuer()
    if not issuer:
        return fail(f"EKS cluster {facts.cluster} has no OIDC issuer", "enable IRSA (an OIDC issuer) for the cluster")
    from ampctl.endpoints import issuer_host

    return ok(f"{facts.cluster} ({found.get('status', 'unknown')}), issuer {issuer_host(issuer)}")


def workspace(facts: Facts, findings: Findings) -> Result:
    from ampctl.aws.amp import status_of
    from ampctl.errors import AmpctlError

    try:
        ws, how = facts.workspace()
    except AmpctlError as exc:  # several workspaces share the alias
        return fail(exc.message, exc.hint or "pass --workspace-id")
    named = facts.values_workspace_id()
    if ws is None:
        wanted = f"{facts.options.workspace_id}" if facts.options.workspace_id else f"with alias {facts.options.alias}"
        evidence = f"no AMP workspace {wanted} in {facts.region}"
        if named:
            evidence += f"; the release's values name {named}, which does not exist"
        return fail(
            evidence,
            "re-create it with `ampctl bootstrap` on the primary, then re-run `ampctl add-cluster` on the others "
            "(or pass --workspace-id / --alias if it has another name)",
        )
    status = status_of(ws)
    ws_id = str(ws["workspaceId"])
    if status in {"CREATING", "UPDATING"}:
        return warn(f"{ws_id} is {status} (found by {how})", "wait a minute and re-run")
    if status != "ACTIVE":
        return fail(f"{ws_id} is {status} (found by {how})", "re-create the workspace with `ampctl bootstrap`")
    return ok(f"{ws_id} ACTIVE (found by {how})")


def kubernetes(facts: Facts, findings: Findings) -> Result:
    namespace = facts.kube.read("namespace", None, facts.namespace)
    server = facts.kube.api.configuration.host
    if namespace is None:
        return fail(
            f"namespace {facts.namespace} not found on {server}",
            f"{facts.repair()} installs Kubecost there (or pass --namespace)",
        )
    return ok(f"namespace {facts.namespace} on {server}")


SPECS = [
    CheckSpec("identity.credentials", "identity", "AWS credentials", credentials),
    CheckSpec("identity.account", "identity", "Account matches the context", account, ("identity.credentials",)),
    CheckSpec("identity.cluster", "identity", "EKS cluster and OIDC issuer", cluster, ("identity.account",)),
    CheckSpec("identity.workspace", "identity", "AMP workspace ACTIVE", workspace, ("identity.account",)),
    CheckSpec("identity.kubernetes", "identity", "Kubernetes API and namespace", kubernetes),
]
