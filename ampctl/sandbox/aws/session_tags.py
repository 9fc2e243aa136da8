"""Session tags of the temporary credentials the sandbox hands out, found by access key, and the tags an
AssumeRole request passes (IAM User Guide, "Passing session tags in AWS STS").

EKS Pod Identity tags each session it makes with six tags, all transitive ("Define permissions for EKS Pod
Identities to assume roles based on tags": "List of session tags added by EKS Pod Identity", "Cross-account
tags"). A later AssumeRole made with that session's credentials inherits the transitive tags ("Chaining roles
with session tags") and its new session keeps them transitive. moto keeps no session tags, so they live here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class SessionTags:
    tags: dict[str, str] = field(default_factory=dict)
    transitive: frozenset[str] = frozenset()

    def inherited(self) -> SessionTags:
        """What a chained AssumeRole made with this session's credentials carries on."""
        kept = {k: v for k, v in self.tags.items() if k in self.transitive}
        return SessionTags(kept, frozenset(kept))

    def context(self) -> dict[str, str | list[str]]:
        """The request context of an AssumeRole passing these tags: aws:RequestTag/<key> and aws:TagKeys (IAM
        User Guide, "AWS global condition context keys")."""
        found: dict[str, str | list[str]] = {f"aws:RequestTag/{k}": v for k, v in self.tags.items()}
        if self.tags:
            found["aws:TagKeys"] = sorted(self.tags)
        return found


_LOCK = threading.Lock()
_BY_KEY: dict[str, SessionTags] = {}


def remember(access_key: str, tags: SessionTags) -> None:
    if tags.tags:
        with _LOCK:
            _BY_KEY[access_key] = tags


def of_key(access_key: str) -> SessionTags:
    with _LOCK:
        return _BY_KEY.get(access_key, SessionTags())


def requested(body: bytes) -> SessionTags:
    """The Tags and TransitiveTagKeys of an AssumeRole query request (STS API Reference, AssumeRole)."""
    form = dict(parse_qsl(body.decode(errors="replace")))
    tags, transitive = {}, set()
    for key, value in form.items():
        if key.startswith("Tags.member.") and key.endswith(".Key"):
            tags[value] = form.get(key[: -len(".Key")] + ".Value", "")
        elif key.startswith("TransitiveTagKeys.member."):
            transitive.add(value)
    return SessionTags(tags, frozenset(transitive))


def merged(caller: str, body: bytes) -> SessionTags:
    """The tags of the session an AssumeRole makes: the caller's inherited transitive tags and the request's own."""
    inherited, own = of_key(caller).inherited(), requested(body)
    return SessionTags({**inherited.tags, **own.tags}, inherited.transitive | own.transitive)
