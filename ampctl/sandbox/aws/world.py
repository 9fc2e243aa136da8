"""What IAM and STS judgements read from the AWS emulator: its configuration and clients in either account."""

from __future__ import annotations

from typing import Any, Protocol

from ampctl.sandbox.config import SandboxConfig


class AwsWorld(Protocol):
    config: SandboxConfig

    def client(self, service: str, region: str | None = None, account: str | None = None) -> Any: ...
