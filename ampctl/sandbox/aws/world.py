"""What IAM and STS judgements read from the AWS emulator: its configuration and clients in either account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from ampctl.sandbox.config import SandboxConfig

T = TypeVar("T")


class AwsWorld(Protocol):
    config: SandboxConfig

    def client(self, service: str, region: str | None = None, account: str | None = None) -> Any: ...

    def iam_read(self, key: str, read: Callable[[], T]) -> T: ...
