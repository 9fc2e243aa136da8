"""An upgrade's progress, recorded AWS-side with the fleet's shape, so that any operator on any machine sees it
(`ampctl status`) and resumes it (`ampctl upgrade` again).

Where: beside the shape's own tags, on the fleet's record holder: the AMP workspace of an AMP-based fleet (a move
to 3.x included: its record stays there until `teardown --retire-amp`), the S3 bucket of a 3.x fleet.

What: the target and the version the fleet started from, the state (running, stopped, done), the last wave that
passed doctor, why it stopped, and when the record last changed. Which cluster is done is not recorded: each
cluster's own release says it (its chart version), so the record cannot disagree with the clusters.

Tag values: at most 256 characters of letters, digits, spaces and `_ . : / = + - @` (botocore's amp model,
TagValue pattern; S3 User Guide, "Categorizing your storage using tags": the same set for bucket tags).
"""

from __future__ import annotations

import dataclasses
import re
import threading
from dataclasses import dataclass
from typing import Any

TARGET_TAG = "ampctl/upgrade-to"
ORIGIN_TAG = "ampctl/upgrade-from"
STATE_TAG = "ampctl/upgrade-state"
WAVE_TAG = "ampctl/upgrade-wave"
NOTE_TAG = "ampctl/upgrade-note"
AT_TAG = "ampctl/upgrade-at"
RUN_TAG = "ampctl/upgrade-run"  # the run upgrading the fleet now (ampctl.upgrade.claim)
TAGS = (TARGET_TAG, ORIGIN_TAG, STATE_TAG, WAVE_TAG, NOTE_TAG, AT_TAG, RUN_TAG)
RUNNING, STOPPED, DONE = "running", "stopped", "done"
_BUCKET_TAGGING = threading.Lock()
_UNSAFE = re.compile(r"[^\w .:/=+\-@]")
TAG_VALUE_MAX = 256


AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # UTC


def stamp() -> str:
    """Now, as `ampctl/upgrade-at` holds it."""
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime(AT_FORMAT)


def tag_safe(text: str) -> str:
    """`text` as a tag value: other characters become spaces, cut to 256 characters."""
    cleaned = re.sub(r" {2,}", " ", _UNSAFE.sub(" ", text)).strip()
    return cleaned if len(cleaned) <= TAG_VALUE_MAX else cleaned[: TAG_VALUE_MAX - 3] + "..."


@dataclass(frozen=True)
class Progress:
    target: str  # the chart version the fleet is moving to
    origin: str  # the fleet's chart version when the upgrade began
    state: str  # RUNNING, STOPPED or DONE
    wave: str = ""  # the last wave that passed doctor, "2/4"
    note: str = ""  # why it stopped
    at: str = ""  # when the record last changed (UTC, ISO 8601)

    @property
    def passed(self) -> int:
        """How many waves have passed doctor (0 before the first)."""
        done = self.wave.split("/", 1)[0]
        return int(done) if done.isdigit() else 0

    def now(self, state: str, *, wave: str | None = None, note: str = "") -> Progress:
        """This record moved to `state` (and past `wave`), stamped now."""
        return dataclasses.replace(self, state=state, wave=self.wave if wave is None else wave, note=note, at=stamp())

    @property
    def under_way(self) -> bool:
        return self.state in (RUNNING, STOPPED)

    @property
    def to_3x(self) -> bool:
        """The fleet is moving (or has moved) off AMP, to Kubecost 3.x."""
        from ampctl.errors import AmpctlError
        from ampctl.versions import chart_line

        try:
            return not chart_line(self.target).on_amp
        except AmpctlError:
            return False

    def tags(self) -> dict[str, str]:
        return {
            TARGET_TAG: self.target, ORIGIN_TAG: self.origin, STATE_TAG: self.state, WAVE_TAG: tag_safe(self.wave),
            NOTE_TAG: tag_safe(self.note), AT_TAG: self.at,
        }  # fmt: skip

    def describe(self) -> str:
        wave = f", waves done {self.wave}" if self.wave else ""
        note = f": {self.note}" if self.note and self.state == STOPPED else ""
        return f"upgrade {self.origin} -> {self.target} {self.state}{wave}{note}"

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "origin": self.origin, "state": self.state, "wave": self.wave,
                "note": self.note, "at": self.at}  # fmt: skip


def from_tags(tags: dict[str, str]) -> Progress | None:
    """The recorded upgrade, or None when the holder carries none."""
    state = tags.get(STATE_TAG)
    if state not in (RUNNING, STOPPED, DONE) or not tags.get(TARGET_TAG):
        return None
    return Progress(
        target=tags[TARGET_TAG], origin=tags.get(ORIGIN_TAG, ""), state=state, wave=tags.get(WAVE_TAG, ""),
        note=tags.get(NOTE_TAG, ""), at=tags.get(AT_TAG, ""),
    )  # fmt: skip


def moved_to_3x(tags: dict[str, str]) -> Progress | None:
    """The record on an AMP workspace of a fleet moving (or moved) to 3.x: the fleet's shape is then the bucket's."""
    progress = from_tags(tags)
    return progress if progress is not None and progress.to_3x else None


@dataclass(frozen=True)
class Holder:
    """Where one fleet's shape and upgrade are recorded: its AMP workspace (`arn`) or its bucket (`bucket`)."""

    client: Any  # the amp client (in the workspace's account) or the s3 client
    arn: str | None = None
    bucket: str | None = None

    def describe(self) -> str:
        return f"bucket {self.bucket}" if self.bucket else f"workspace {str(self.arn).rsplit('/', 1)[-1]}"

    def read(self) -> dict[str, str]:
        if self.bucket:
            from ampctl.aws import s3 as s3api

            return s3api.tags(self.client, self.bucket)
        # DescribeWorkspace returns the workspace's tags (botocore amp model, WorkspaceDescription.tags).
        found = self.client.describe_workspace(workspaceId=str(self.arn).rsplit("/", 1)[-1])["workspace"]
        return {str(k): str(v) for k, v in (found.get("tags") or {}).items()}

    def write(self, tags: dict[str, str]) -> None:
        """Add or replace `tags`, keeping every other tag."""
        if self.bucket:
            from ampctl.aws import s3 as s3api

            # PutBucketTagging replaces the whole set (S3 API Reference, PutBucketTagging): the others are read and
            # written back, one writer at a time in this process (the upgrade's heartbeat and the shape's record).
            with _BUCKET_TAGGING:
                merged = s3api.tags(self.client, self.bucket) | tags
                tag_set = [{"Key": k, "Value": v} for k, v in sorted(merged.items())]
                self.client.put_bucket_tagging(Bucket=self.bucket, Tagging={"TagSet": tag_set})
            return
        # TagResource adds or overwrites the given tags only (AMP API Reference, TagResource).
        self.client.tag_resource(resourceArn=self.arn, tags=tags)

    def remove(self, keys: tuple[str, ...]) -> None:
        """Take `keys` off, keeping every other tag."""
        if self.bucket:
            from ampctl.aws import s3 as s3api

            with _BUCKET_TAGGING:
                kept = {k: v for k, v in s3api.tags(self.client, self.bucket).items() if k not in keys}
                if kept:
                    tag_set = [{"Key": k, "Value": v} for k, v in sorted(kept.items())]
                    self.client.put_bucket_tagging(Bucket=self.bucket, Tagging={"TagSet": tag_set})
                else:  # none left: DeleteBucketTagging "deletes the tags from the bucket" (S3 API Reference)
                    self.client.delete_bucket_tagging(Bucket=self.bucket)
            return
        # UntagResource removes only the keys it is given (AMP API Reference, UntagResource).
        self.client.untag_resource(resourceArn=self.arn, tagKeys=list(keys))
