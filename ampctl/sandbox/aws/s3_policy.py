"""Bucket policies judged with their conditions.

moto applies a bucket policy's statements without their conditions, so the TLS-only policy ampctl
puts on its bucket (Deny when aws:SecureTransport is false) would refuse every object call. Calls to
AWS's API always travel over TLS (the sandbox's plain HTTP stands in for that), so they are judged
with aws:SecureTransport true, by the same evaluator the sandbox uses for IAM.
"""

from __future__ import annotations

import json
from typing import Any

from ampctl.sandbox.aws.iam_policy import evaluate

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        decision = evaluate([json.loads(self.policy)], action, resource, {"aws:SecureTransport": "true"})
        if decision == "Deny":
            return PermissionResult.DENIED
        return PermissionResult.PERMITTED if decision == "Allow" else PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    _installed = True
