"""The one AWS session factory: created once per command, clients cached per service.

Adaptive retry mode (10 attempts: on throttling, the client slows its own request rate, so a fleet run does
not throttle its own account) unless the user's environment sets AWS_RETRY_MODE or AWS_MAX_ATTEMPTS; one
connection per thread of the command's pool; a user agent naming ampctl; endpoint overrides come from the usual
AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables, and the AMP data plane (query and
remote-write endpoints) from AMPCTL_AMP_ENDPOINT.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import TYPE_CHECKING, Any

from ampctl import __version__, warm
from ampctl.endpoints import account_of
from ampctl.errors import AmpctlError

if TYPE_CHECKING:
    import boto3
    from botocore.credentials import ReadOnlyCredentials


# The services ampctl pages through: their pagination models are loaded with the client.
PAGED = frozenset({"amp", "eks", "iam", "s3"})


def _trace_call(model: Any, **_: Any) -> None:
    """With -v, name every AWS API call as it is made."""
    from ampctl import output

    output.detail(f"aws {model.service_model.service_name} {model.name}")


class AwsSession:
    def __init__(self, profile: str | None = None, region: str | None = None) -> None:
        import boto3

        self._session: boto3.Session = boto3.Session(profile_name=profile, region_name=region)
        if not self._session.region_name:
            raise AmpctlError("no AWS region set", "pass --region, use an EKS context ARN, or export AWS_REGION")
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._account: str | None = None
        self._assumed: dict[str, AwsSession] = {}
        self.role_arn: str | None = None  # set on a session made by assumed()

    def assumed(self, role_arn: str | None) -> AwsSession:
        """This session itself (None), or one acting as `role_arn` (session name ampctl), made once: its
        credentials come from this session's STS client (same retries and -v tracing) and are refreshed before
        they expire. The role may be in another account (the AMP workspace's, for --workspace-account-role)."""
        if not role_arn:
            return self
        with self._lock:
            if role_arn not in self._assumed:
                from ampctl.aws.assume import assumed_session

                session = AwsSession.__new__(AwsSession)
                session._session = assumed_session(self.client, self.region, role_arn)
                session._clients, session._lock, session._account = {}, threading.Lock(), account_of(role_arn)
                session._assumed, session.role_arn = {}, role_arn
                self._assumed[role_arn] = session
            return self._assumed[role_arn]

    @property
    def region(self) -> str:
        return str(self._session.region_name)

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                from botocore.config import Config

                from ampctl.pool import WORKERS

                retries: dict[str, Any] = {}
                if "AWS_RETRY_MODE" not in os.environ:
                    retries["mode"] = "adaptive"
                if "AWS_MAX_ATTEMPTS" not in os.environ:
                    retries["max_attempts"] = 10
                config = Config(
                    user_agent_extra=f"ampctl/{__version__}",
                    retries=retries or None,
                    max_pool_connections=WORKERS,
                )
                client = self._session.client(service, config=config)
                client.meta.events.register("before-call", _trace_call)
                client.meta.events.register("before-send", warm.request_sent)
                if service in PAGED:  # loaded once here: on first use, every cluster of a fleet would load it
                    with contextlib.suppress(Exception):
                        client.can_paginate(next(iter(client.meta.method_to_api_mapping)))
                self._clients[service] = client
            return self._clients[service]

    def account(self) -> str:
        if self._account is None:
            self._account = str(self.client("sts").get_caller_identity()["Account"])
        return self._account

    def credentials(self) -> ReadOnlyCredentials:
        creds = self._session.get_credentials()
        if creds is None:
            from botocore.exceptions import NoCredentialsError

            raise NoCredentialsError()
        return creds.get_frozen_credentials()

    def amp_base_url(self, region: str) -> str:
        """Base URL of the AMP data plane (query, remote write) for a region."""
        override = os.environ.get("AMPCTL_AMP_ENDPOINT")
        if override:
            return override.rstrip("/")
        return f"https://aps-workspaces.{region}.amazonaws.com"


class Sessions:
    """One AWS session per region, shared by every cluster a command handles."""

    def __init__(self, profile: str | None) -> None:
        self.profile = profile
        self._by_region: dict[str, AwsSession] = {}
        self._lock = threading.Lock()

    def for_region(self, region: str) -> AwsSession:
        with self._lock:
            if region not in self._by_region:
                self._by_region[region] = AwsSession(self.profile, region)
            return self._by_region[region]
