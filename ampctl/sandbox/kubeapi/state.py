"""The committed objects of one cluster: buckets by resource, the resourceVersion counter, the
uid and owner indexes, and the watch history every commit is published to. Callers hold the store's lock."""

from __future__ import annotations

from typing import Any

import ampctl.sandbox.kubeapi.admission as admission
from ampctl.sandbox.kubeapi.objects import resolve
from ampctl.sandbox.kubeapi.resources import ResourceType
from ampctl.sandbox.kubeapi.watch import Change, WatchHub

Changes = list[Change]
Key = tuple[str, str]  # (namespace or "", name)
Ref = tuple[str, str, str, str]  # (group_version, plural, namespace, name)


class StoreState:
    def __init__(self, history: int) -> None:
        self.rv = 0
        self.alloc = admission.Allocator()
        self.buckets: dict[tuple[str, str], dict[Key, dict[str, Any]]] = {}
        self.uids: dict[str, Ref] = {}
        self.dependents: dict[str, set[Ref]] = {}
        self.hub = WatchHub(history)

    def clear(self) -> None:
        """Forget every object; resourceVersions keep growing."""
        self.buckets, self.uids, self.dependents = {}, {}, {}
        self.hub.forget(self.rv)

    def bucket(self, rt: ResourceType) -> dict[Key, dict[str, Any]]:
        return self.buckets.setdefault((rt.group_version, rt.plural), {})

    @staticmethod
    def key(rt: ResourceType, namespace: str | None, name: str) -> Key:
        return (namespace or "default", name) if rt.namespaced else ("", name)

    def exists(self, group_version: str, plural: str, namespace: str | None, name: str) -> bool:
        rt = resolve(group_version, plural)
        return self.key(rt, namespace, name) in self.bucket(rt)

    def commit(
        self,
        rt: ResourceType,
        key: Key,
        obj: dict[str, Any] | None,
        kind: str,
        old: dict[str, Any] | None,
        changes: Changes,
    ) -> dict[str, Any]:
        self.rv += 1
        bucket = self.bucket(rt)
        ref: Ref = (rt.group_version, rt.plural, key[0], key[1])
        if old is not None:
            self.unindex(old, ref)
        if obj is None:
            assert old is not None
            bucket.pop(key, None)
            stored = {**old, "metadata": {**old["metadata"], "resourceVersion": str(self.rv)}}
        else:
            obj["metadata"]["resourceVersion"] = str(self.rv)
            bucket[key] = stored = obj
            self.index(obj, ref)
        change = Change(self.rv, kind, rt.group_version, rt.plural, stored, old)
        self.hub.publish(change)
        changes.append(change)
        return stored

    def index(self, obj: dict[str, Any], ref: Ref) -> None:
        meta = obj["metadata"]
        self.uids[meta["uid"]] = ref
        for owner in meta.get("ownerReferences") or []:
            self.dependents.setdefault(owner.get("uid", ""), set()).add(ref)

    def unindex(self, obj: dict[str, Any], ref: Ref) -> None:
        meta = obj["metadata"]
        self.uids.pop(meta.get("uid", ""), None)
        for owner in meta.get("ownerReferences") or []:
            deps = self.dependents.get(owner.get("uid", ""))
            if deps is not None:
                deps.discard(ref)
                if not deps:
                    del self.dependents[owner.get("uid", "")]
