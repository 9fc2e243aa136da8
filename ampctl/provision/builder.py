"""Which steps a cluster needs, in the order they run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ampctl.helm import PENDING
from ampctl.plan.step import Step
from ampctl.pool import together
from ampctl.provision.context import ClusterRun
from ampctl.provision.steps_amp import EnsureRecordingRules, EnsureWorkspace, FindWorkspace
from ampctl.provision.steps_capacity import CheckCapacity, CheckKubernetesVersion
from ampctl.provision.steps_helm import InstallKubecost, RecoverRelease
from ampctl.provision.steps_iam import CheckOidcProvider, EnsureClusterRole, EnsureS3Policy
from ampctl.provision.steps_kube import EnsureNamespace, EnsureSecret, EnsureServiceAccount
from ampctl.provision.steps_podid import (
    CheckPodIdentityAgent,
    DeletePodIdentityAssociation,
    EnsurePodIdentityAssociation,
)
from ampctl.provision.steps_s3 import EnsureBucket, FindBucket
from ampctl.provision.steps_shape import RecordFleetShape
from ampctl.provision.steps_storage import storage_steps

if TYPE_CHECKING:
    from ampctl.helm import Release


def amp_policies(run: ClusterRun) -> dict[str, list[str]]:
    """Least privilege: the cost-analyzer queries, prometheus-server writes.

    --seed-policies attaches both AMP policies to both roles, as the published guide does.
    """
    from ampctl.naming import AMP_QUERY_POLICY, AMP_REMOTE_WRITE_POLICY, aws_policy_arn

    query, write = (aws_policy_arn(name, region=run.region) for name in (AMP_QUERY_POLICY, AMP_REMOTE_WRITE_POLICY))
    cost = [query, write] if run.request.seed_policies else [query]
    prom = [query, write] if run.request.seed_policies else [write]
    return {"cost-analyzer": cost, "prometheus-server": prom}


def role_policies(run: ClusterRun) -> dict[str, list[str]]:
    """The managed policies of the cluster's two roles: AMP's (unless the workspace is in another account, where
    the roles that hold them are), plus the S3 policy in federated mode."""
    from ampctl.naming import policy_arn, s3_policy_name

    policies = amp_policies(run) if run.workspace_account is None else {"cost-analyzer": [], "prometheus-server": []}
    if run.request.federated:
        policies["cost-analyzer"].append(policy_arn(run.account, s3_policy_name(run.cluster), region=run.region))
    return policies


def no_gitops_on_3x() -> Exception:
    from ampctl.errors import AmpctlError

    return AmpctlError(
        "--no-helm and render --gitops are not available for Kubecost 3.x yet: ampctl installs 3.x itself",
        "leave out --no-helm (or --gitops) for a 3.x fleet, or run the GitOps fleet on a 2.x line",
    )


def refused_on_3x(request: Any) -> Exception | None:
    """What a 3.x request asks for that ampctl does not do on 3.x yet (the storage options know the claims of the
    cost-analyzer lines only)."""
    from ampctl.errors import AmpctlError

    if request.line.on_amp:
        return None
    if request.no_helm:
        return no_gitops_on_3x()
    if request.storage_class or request.install_ebs_csi_driver or request.create_storage_class:
        return AmpctlError(
            "--storage-class, --install-ebs-csi-driver and --create-storage-class are not available for Kubecost "
            "3.x yet: they know the volumes of the cost-analyzer chart lines only",
            "leave them out for a 3.x fleet and make the cluster's default StorageClass provision (EBS CSI driver)",
        )
    return None


def steps_for(run: ClusterRun) -> list[Step[ClusterRun]]:
    from ampctl.render.objects import object_store_secret, product_key_secret
    from ampctl.spec import SA_COST_ANALYZER, SA_PROMETHEUS

    r = run.request
    if not r.line.on_amp:  # Kubecost 3.x: the bucket only, no AMP
        from ampctl.provision.steps_3x import steps_3x

        refused = refused_on_3x(r)
        if refused is not None:
            raise refused
        return steps_3x(run)
    policies = role_policies(run)
    # Two reads the plan is built from, at once: the release (a helm process) and, under IRSA, the associations
    # ampctl made for its ServiceAccounts before (a fleet moving back from Pod Identity).
    releases: list[Release | None] = []
    leftovers: list[dict[str, Any]] = []
    read_leftovers = (lambda: None) if r.pod_identity else (lambda: leftovers.extend(run.leftover_associations()))
    read_release = (lambda: None) if r.no_helm else (lambda: releases.append(run.release(r.release, r.namespace)))
    together([read_release, read_leftovers])
    release = releases[0] if releases else None
    # IRSA needs the cluster's OIDC provider; EKS Pod Identity needs its agent add-on instead.
    steps: list[Step[ClusterRun]] = [CheckPodIdentityAgent(run) if r.pod_identity else CheckOidcProvider(run)]
    steps += storage_steps(run)  # before any change: a cluster that cannot hold Kubecost's volumes is refused
    steps += [CheckKubernetesVersion(run), CheckCapacity(run)]  # warnings only
    steps.append(EnsureWorkspace(run) if r.primary else FindWorkspace(run))
    if r.federated:
        steps.append(EnsureBucket(run) if r.primary else FindBucket(run))
        steps.append(EnsureS3Policy(run))
    if r.primary:
        steps.append(RecordFleetShape(run))
    steps += [
        EnsureClusterRole(run, "cost-analyzer", SA_COST_ANALYZER, policies["cost-analyzer"]),
        EnsureClusterRole(run, "prometheus-server", SA_PROMETHEUS, policies["prometheus-server"]),
    ]
    if run.workspace_account is not None:
        from ampctl.provision.steps_chain import EnsureAssumePolicy, EnsureWorkspaceRole

        for component, arns in amp_policies(run).items():
            steps += [EnsureWorkspaceRole(run, component, arns), EnsureAssumePolicy(run, component)]
    steps += [
        EnsureNamespace(run),
        EnsureServiceAccount(run, SA_COST_ANALYZER, "cost-analyzer"),
        EnsureServiceAccount(run, SA_PROMETHEUS, "prometheus-server"),
    ]
    if r.pod_identity:
        steps.append(EnsurePodIdentityAssociation(run, "cost-analyzer", SA_COST_ANALYZER))
        steps.append(EnsurePodIdentityAssociation(run, "prometheus-server", SA_PROMETHEUS))
    else:
        steps += [DeletePodIdentityAssociation(run, a) for a in leftovers]
    if r.federated:
        steps.append(EnsureSecret(run, object_store_secret(run.spec()), "federated-store.yaml"))
    if r.product_key is not None:
        steps.append(EnsureSecret(run, product_key_secret(run.spec(), r.product_key), "product key"))
    if r.primary and r.recording_rules:
        steps.append(EnsureRecordingRules(run))
    if r.no_helm:  # GitOps (--no-helm): Argo CD or Flux installs the release
        return steps
    # The release is read once: a release left pending is recovered first, and the install plans from it.
    if release is not None and release.status in PENDING:
        steps.append(RecoverRelease(run, release.status))
    steps.append(InstallKubecost(run, release))
    return steps
