"""Steps for the federated ETL bucket."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ampctl.aws import s3 as s3api
from ampctl.errors import AmpctlError
from ampctl.plan.step import Action, Change, Step
from ampctl.pool import known, outcome, together
from ampctl.provision.context import ClusterRun

ALL_HARDENING = ["public access block", "default encryption", "object ownership", "TLS-only bucket policy"]


class EnsureBucket(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("bucket",)

    def __init__(self, run: ClusterRun) -> None:
        assert run.request.bucket
        self.bucket = run.request.bucket
        self.region = run.region
        self.title = f"S3 bucket {self.bucket} (hardened)"

    def _policy(self) -> dict[str, object]:
        from ampctl.documents import bucket_tls_policy

        return bucket_tls_policy(self.bucket, region=self.region)

    def check(self, run: ClusterRun) -> Change:
        from ampctl.aws.races import reread_once

        run.outputs["bucket"] = self.bucket
        return reread_once(partial(self._read, run), f"S3 bucket {self.bucket}")

    def _read(self, run: ClusterRun) -> Change:
        from ampctl.naming import MANAGED_BY_TAG

        s3 = run.client("s3")
        # Every read at once: the tags and settings of a bucket that turns out missing are not looked at.
        reads: list[Callable[[], Any]] = [
            partial(s3api.bucket_state, s3, self.bucket),
            partial(outcome, s3api.tags, s3, self.bucket),
            partial(outcome, s3api.hardening_drift, s3, self.bucket, run.request.kms_key, self._policy()),
        ]
        state, tags, drift = together(reads)
        if state == "missing":
            return Change.create(f"in {run.region}")
        if known(tags).get(MANAGED_BY_TAG[0]) != MANAGED_BY_TAG[1]:
            return Change.unchanged("existing bucket not managed by ampctl: used as it is")
        found = known(drift)
        return Change.update(", ".join(found)) if found else Change.unchanged()

    def apply(self, run: ClusterRun, change: Change) -> None:
        from ampctl.naming import aws_tags
        from ampctl.versions import chart_line

        s3 = run.client("s3")
        parts = change.detail.split(", ")
        if change.action is Action.CREATE:
            tags = aws_tags(None, run.request.fleet)
            if not chart_line(run.request.chart_version).on_amp:
                tags |= run.request.tags  # a 3.x fleet's shape lives on its bucket (ampctl.kubecost3.shape)
            tag_set = [{"Key": k, "Value": v} for k, v in tags.items()]
            # Tagged with the create itself: a run killed right after it still finds the bucket ours.
            config: dict[str, object] = {"Tags": tag_set}
            if run.region != "us-east-1":
                config["LocationConstraint"] = run.region
            kwargs: dict[str, object] = {"Bucket": self.bucket, "CreateBucketConfiguration": config}
            try:
                s3.create_bucket(**kwargs)
            except s3.exceptions.BucketAlreadyOwnedByYou:
                pass
            except s3.exceptions.BucketAlreadyExists as exc:
                raise AmpctlError(
                    f"S3 bucket name {self.bucket} is taken by another account", "choose another --bucket"
                ) from exc
            # Tagged again on its own (a bucket made by an earlier, interrupted run; stores that ignore Tags above),
            # at the same time as the hardening: neither waits for the other.
            together(
                [
                    partial(s3.put_bucket_tagging, Bucket=self.bucket, Tagging={"TagSet": tag_set}),
                    partial(s3api.harden, s3, self.bucket, run.request.kms_key, self._policy(), ALL_HARDENING),
                ]
            )
            return
        s3api.harden(s3, self.bucket, run.request.kms_key, self._policy(), parts)


class FindBucket(Step[ClusterRun]):
    needs: tuple[str, ...] | None = ()
    gives: tuple[str, ...] = ("bucket",)

    def __init__(self, run: ClusterRun) -> None:
        assert run.request.bucket
        self.bucket = run.request.bucket
        self.region = run.region
        self.title = f"find S3 bucket {self.bucket}"

    def check(self, run: ClusterRun) -> Change:
        run.outputs["bucket"] = self.bucket
        if s3api.bucket_state(run.client("s3"), self.bucket) == "missing":
            raise AmpctlError(
                f"S3 bucket {self.bucket} does not exist",
                "run `ampctl bootstrap --federated` on the primary cluster first, or pass --bucket",
            )
        return Change.unchanged()

    def apply(self, run: ClusterRun, change: Change) -> None:  # pragma: no cover - never planned
        return
