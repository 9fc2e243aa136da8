"""Resource URLs: /api/v1/... and /apis/<group>/<version>/... into what they address."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from ampctl.sandbox.kubeapi.resources import ResourceType, lookup
from ampctl.sandbox.kubeapi.status import no_such_path


@dataclass(frozen=True)
class Target:
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None = None
    rest: str = ""  # what follows `proxy/` (kept raw)
    legacy_watch: bool = False


def split_group_version(segments: list[str]) -> tuple[str, list[str]] | None:
    """('apps/v1', rest) for /apis/apps/v1/..., ('v1', rest) for /api/v1/..."""
    if len(segments) >= 2 and segments[0] == "api":
        return segments[1], segments[2:]
    if len(segments) >= 3 and segments[0] == "apis":
        return f"{segments[1]}/{segments[2]}", segments[3:]
    return None


def parse(path: str) -> Target | None:
    """The resource a path addresses; None when it is not a resource path (e.g. discovery)."""
    raw_segments = path.strip("/").split("/")
    trailing = path.endswith("/")
    segments = [urllib.parse.unquote(s) for s in raw_segments]
    found = split_group_version(segments)
    if found is None:
        return None
    group_version, rest = found
    if not rest:
        return None
    offset = len(segments) - len(rest)
    legacy_watch = rest[0] == "watch"
    if legacy_watch:
        rest = rest[1:]
        offset += 1
        if not rest:
            raise no_such_path()
    if rest[0] == "namespaces" and len(rest) >= 3:
        rt = lookup(group_version, rest[2])
        if rt is not None and rt.namespaced:
            return _target(rt, rest[1], rest[3:], raw_segments[offset + 3 :], legacy_watch, trailing)
    rt = lookup(group_version, rest[0])
    if rt is None:
        raise no_such_path()
    if rt.namespaced and len(rest) > 1:
        raise no_such_path()
    return _target(rt, None, rest[1:], raw_segments[offset + 1 :], legacy_watch, trailing)


def _target(
    rt: ResourceType, namespace: str | None, tail: list[str], raw_tail: list[str], legacy_watch: bool, trailing: bool
) -> Target:
    name = tail[0] if tail else None
    sub = tail[1] if len(tail) > 1 else None
    if sub is not None and sub not in rt.subresources:
        raise no_such_path()
    if sub != "proxy" and len(tail) > 2:
        raise no_such_path()
    rest = "/".join(raw_tail[2:]) + ("/" if trailing and len(raw_tail) > 2 else "") if sub == "proxy" else ""
    if name == "":
        name = None
    return Target(rt, namespace, name, sub, rest, legacy_watch)
