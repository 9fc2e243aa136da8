"""A Kubecost 3.x cluster's steps: the bucket and its shape record, one role per component that uses the bucket,
their ServiceAccounts (IRSA or EKS Pod Identity), the federated-storage Secret and the `kubecost` chart.

No AMP workspace, no recording rules, no sigv4 proxy and no AMP roles: 3.x keeps everything in the bucket.
"""

from __future__ import annotations

from ampctl.plan.step import Change, Step
from ampctl.provision.context import ClusterRun


class RecordBucketShape(Step[ClusterRun]):
    """The primary records the 3.x fleet's shape as tags on the bucket (ampctl.kubecost3.shape says why there)."""

    needs: tuple[str, ...] | None = ("bucket",)
    gives: tuple[str, ...] = ("fleet-shape",)

    def __init__(self, run: ClusterRun) -> None:
        from ampctl.provision.follow import shape_of

        self.shape = shape_of(run.request, run.cluster)
        self.bucket = str(run.request.bucket)
        self.title = f"fleet shape tags on S3 bucket {self.bucket} ({self.shape.describe()})"

    def check(self, run: ClusterRun) -> Change:
        from ampctl.kubecost3.shape import read
        from ampctl.naming import MANAGED_BY_TAG

        exists, current, _ = read(run.aws, self.bucket)
        if not exists:
            return Change.create("with the new bucket")
        if current.get(MANAGED_BY_TAG[0]) != MANAGED_BY_TAG[1]:
            return Change.unchanged("existing bucket not managed by ampctl: not tagged (add-cluster needs the flags)")
        from ampctl.provision.steps_shape import shape_change

        return shape_change(current, self.shape.tags())

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.upgrade.record import Holder

        Holder(run.client("s3"), bucket=self.bucket).write(self.shape.tags())  # the other tags are kept


def steps_3x(run: ClusterRun) -> list[Step[ClusterRun]]:
    from ampctl.naming import policy_arn, s3_policy_name
    from ampctl.provision.steps_helm import InstallKubecost, RecoverRelease
    from ampctl.provision.steps_iam import CheckOidcProvider, EnsureClusterRole, EnsureS3Policy
    from ampctl.provision.steps_kube import EnsureNamespace, EnsureSecret, EnsureServiceAccount
    from ampctl.provision.steps_podid import CheckPodIdentityAgent, EnsurePodIdentityAssociation
    from ampctl.provision.steps_s3 import EnsureBucket, FindBucket
    from ampctl.render.objects import object_store_secret

    r = run.request
    release = run.release(r.release, r.namespace)
    spec = run.spec()
    accounts = spec.line.service_accounts(spec.primary, spec.release)
    s3_policy = [policy_arn(run.account, s3_policy_name(run.cluster), region=run.region)]
    steps: list[Step[ClusterRun]] = [CheckPodIdentityAgent(run) if r.pod_identity else CheckOidcProvider(run)]
    steps += [EnsureBucket(run) if r.primary else FindBucket(run), EnsureS3Policy(run)]
    if r.primary:
        steps.append(RecordBucketShape(run))
    # One role per component, each trusted by exactly its ServiceAccount and allowed exactly the bucket (and its KMS
    # key): the S3 policy of the cluster, as on 2.x.
    steps += [EnsureClusterRole(run, component, sa, s3_policy) for component, sa in accounts.items()]
    steps.append(EnsureNamespace(run))
    steps += [EnsureServiceAccount(run, sa, component) for component, sa in accounts.items()]
    if r.pod_identity:
        steps += [EnsurePodIdentityAssociation(run, component, sa) for component, sa in accounts.items()]
    steps.append(EnsureSecret(run, object_store_secret(run.spec()), "federated-store.yaml"))
    from ampctl.helm import PENDING

    if release is not None and release.status in PENDING:
        steps.append(RecoverRelease(run, release.status))
    steps.append(InstallKubecost(run, release))
    from ampctl.provision.steps_moved import moved_steps

    return steps + moved_steps(run)  # a cluster moved from 2.x: its 2.x accounts go once 3.x is in
