"""A watch-fed, in-memory copy of the objects the console shows, one per cluster.

For every cached kind a task lists (in pages) and then watches from the list's resourceVersion;
a 410 Expired re-lists at once; a lost API server is retried with capped exponential backoff
(0.2 s doubling to 5 s, reset by a successful list) and every failure re-lists, so the copy is
whole again after the server comes back. Objects are kept as the API server's JSON dicts in
``{namespace: {name: object}}`` indexes (cluster-scoped kinds under namespace ``""``), so an event
costs O(1) and a namespace's objects are found without a scan; NetworkPolicies are also kept
parsed. Returned dicts are shared with the cache: callers must not mutate them.

Change notification: ``version`` grows by one with each change (an event, or a completed
re-list); ``await wait_changed(since, timeout)`` returns as soon as it passes ``since``.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import logging
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.cluster.errors import Expired
from app.cluster.resources import Resource, resource
from app.errors import BadRequest, DomainError
from app.policies.model import NetworkPolicy

if TYPE_CHECKING:
    from app.cluster.client import Cluster, WatchEvent

log = logging.getLogger(__name__)

TERWAY_NAMESPACE = "kube-system"
TERWAY_CONFIGMAP = "eni-config"
TERWAY_DAEMONSETS = ("terway-eniip", "terway-eni")

# Kind states, as readiness() reports them.
SYNCING, READY, ERROR, STOPPED = "syncing", "ready", "error", "stopped"


@dataclass(frozen=True)
class CacheScope:
    """What one watch covers: a resource, optionally one namespace and one object name."""

    key: str
    resource: Resource
    namespace: str | None = None
    name: str | None = None

    @property
    def field_selector(self) -> str | None:
        return f"metadata.name={self.name}" if self.name else None

    def accepts(self, obj: dict[str, Any]) -> bool:
        return self.name is None or (obj.get("metadata") or {}).get("name") == self.name


SCOPES: tuple[CacheScope, ...] = tuple(
    CacheScope(plural, resource(plural))
    for plural in (
        "namespaces",
        "nodes",
        "pods",
        "services",
        "deployments",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "networkpolicies",
    )
) + (CacheScope("configmaps", resource("configmaps"), TERWAY_NAMESPACE, TERWAY_CONFIGMAP),)


@dataclass
class _KindState:
    state: str = STOPPED
    error: str | None = None
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


class ClusterCache:
    """The cached objects of one cluster; ``start()`` runs the watches, ``stop()`` ends them."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        page_size: int = 500,
        watch_timeout: int = 300,
        backoff: tuple[float, float] = (0.2, 5.0),
    ) -> None:
        self._cluster = cluster
        self._page_size = page_size
        self._watch_timeout = watch_timeout
        self._backoff_min, self._backoff_max = backoff
        self._kinds: dict[str, _KindState] = {s.key: _KindState() for s in SCOPES}
        self._policies: dict[str, dict[str, NetworkPolicy]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.version = 0
        self._kind_versions: dict[str, int] = {s.key: 0 for s in SCOPES}
        self._changed = asyncio.Event()
        self._ready = asyncio.Event()

    # -- reading -----------------------------------------------------------------------------

    def _state(self, kind: str) -> _KindState:
        key = kind if kind in self._kinds else resource(kind).plural
        if key not in self._kinds:
            raise BadRequest(f"{kind!r} is not cached")
        return self._kinds[key]

    def list(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """Cached objects of a kind ("pods" or "Pod"), in one namespace or all of them."""
        objects = self._state(kind).objects
        if namespace is not None:
            return list(objects.get(namespace, {}).values())
        return [obj for bucket in objects.values() for obj in bucket.values()]

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return self._state(kind).objects.get(namespace or "", {}).get(name)

    def namespaces_of(self, kind: str) -> builtins.list[str]:
        """Namespaces holding at least one cached object of the kind."""
        return [ns for ns, bucket in self._state(kind).objects.items() if bucket]

    def network_policies(self, namespace: str | None = None) -> builtins.list[NetworkPolicy]:
        if namespace is not None:
            return list(self._policies.get(namespace, {}).values())
        return [p for bucket in self._policies.values() for p in bucket.values()]

    def network_policy(self, namespace: str, name: str) -> NetworkPolicy | None:
        return self._policies.get(namespace, {}).get(name)

    def terway_config(self) -> dict[str, Any] | None:
        """The ConfigMap kube-system/eni-config, when the cluster has one."""
        return self.get("configmaps", TERWAY_NAMESPACE, TERWAY_CONFIGMAP)

    def terway_daemonset(self) -> dict[str, Any] | None:
        """The Terway DaemonSet (terway-eniip, or terway-eni on older exclusive-ENI clusters)."""
        for name in TERWAY_DAEMONSETS:
            found = self.get("daemonsets", TERWAY_NAMESPACE, name)
            if found is not None:
                return found
        return None

    # -- state -------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return all(k.state == READY for k in self._kinds.values())

    @property
    def state(self) -> str:
        states = {k.state for k in self._kinds.values()}
        for candidate in (STOPPED, ERROR, SYNCING):
            if candidate in states:
                return candidate
        return READY

    def readiness(self) -> dict[str, Any]:
        """``{"ready", "state", "kinds": {kind: {"state", "objects", "error"}}, "error"}``."""
        kinds = {
            key: {
                "state": k.state,
                "objects": sum(len(bucket) for bucket in k.objects.values()),
                "error": k.error,
            }
            for key, k in self._kinds.items()
        }
        errors = sorted({k.error for k in self._kinds.values() if k.error})
        return {
            "ready": self.ready,
            "state": self.state,
            "kinds": kinds,
            "error": "; ".join(errors) if errors else None,
        }

    def kind_version(self, kind: str) -> int:
        """The ``version`` at this kind's last change (0: never)."""
        return self._kind_versions[kind if kind in self._kind_versions else resource(kind).plural]

    async def wait_ready(self, timeout: float) -> bool:
        """Wait until every kind is synced; False when ``timeout`` seconds pass first."""
        if self.ready:
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout)
        return self.ready

    async def wait_changed(self, since_version: int, timeout: float) -> int:
        """The current version, as soon as it is above ``since_version`` or after ``timeout``."""
        if self.version > since_version:
            return self.version
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        return self.version

    def _bump(self, key: str) -> None:
        self.version += 1
        self._kind_versions[key] = self.version
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def _set_state(self, key: str, state: str, error: str | None = None) -> None:
        kind = self._kinds[key]
        if kind.state == state and kind.error == error:
            return
        kind.state, kind.error = state, error
        if self.ready:
            self._ready.set()
        else:
            self._ready.clear()
        self._bump(key)

    # -- running -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return any(not t.done() for t in self._tasks)

    async def start(self) -> None:
        """Start one list-and-watch task per kind; returns at once (see ``wait_ready``)."""
        if self.running:
            return
        if not self._cluster.usable:
            for scope in SCOPES:
                self._set_state(scope.key, ERROR, self._cluster.load_error or "not configured")
            return
        for scope in SCOPES:
            self._set_state(scope.key, SYNCING)
            task = asyncio.create_task(self._run(scope), name=f"cache:{self._cluster.name}:{scope.key}")
            self._tasks.append(task)

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if tasks:
            for scope in SCOPES:
                self._set_state(scope.key, STOPPED)

    async def _run(self, scope: CacheScope) -> None:
        loop = asyncio.get_running_loop()
        delay = self._backoff_min
        rv, listed = "", False
        while True:
            try:
                if not listed:
                    rv = await self._relist(scope)
                    listed, delay = True, self._backoff_min
                started, events = loop.time(), 0
                async for event in self._cluster.watch(
                    scope.resource,
                    scope.namespace,
                    resource_version=rv,
                    field_selector=scope.field_selector,
                    timeout_seconds=self._watch_timeout,
                ):
                    events += 1
                    rv = self._apply(scope, event) or rv
                # The server ended the watch (its timeout, or it is going away): resume from rv,
                # pausing when it ends at once so a misbehaving server is not hammered.
                if events == 0 and loop.time() - started < 1.0:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._backoff_max)
            except Expired:
                listed = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a background task: report every failure, never die
                if not isinstance(exc, DomainError):
                    log.exception("cache %s/%s failed", self._cluster.name, scope.key)
                self._set_state(scope.key, ERROR, str(exc) or exc.__class__.__name__)
                listed = False
                await asyncio.sleep(delay + random.uniform(0, delay / 10))
                delay = min(delay * 2, self._backoff_max)

    async def _relist(self, scope: CacheScope) -> str:
        objects: dict[str, dict[str, dict[str, Any]]] = {}
        token: str | None = None
        rv = ""
        while True:
            page = await self._cluster.list_page(
                scope.resource,
                scope.namespace,
                field_selector=scope.field_selector,
                limit=self._page_size,
                continue_token=token,
            )
            for obj in page["items"]:
                if scope.accepts(obj):
                    meta = obj.get("metadata") or {}
                    objects.setdefault(meta.get("namespace") or "", {})[meta.get("name") or ""] = obj
            meta = page.get("metadata") or {}
            rv = str(meta.get("resourceVersion") or rv)
            token = meta.get("continue") or None
            if not token:
                break
        self._kinds[scope.key].objects = objects
        if scope.key == "networkpolicies":
            self._policies = {
                ns: {name: p for name, obj in bucket.items() if (p := _parse(obj)) is not None}
                for ns, bucket in objects.items()
            }
        self._kinds[scope.key].state = SYNCING  # force the READY transition below to notify
        self._set_state(scope.key, READY)
        return rv

    def _apply(self, scope: CacheScope, event: WatchEvent) -> str:
        """Apply one watch event in O(1); returns its resourceVersion."""
        if event.type == "BOOKMARK" or not scope.accepts(event.object):
            return event.resource_version
        meta = event.object.get("metadata") or {}
        ns, name = meta.get("namespace") or "", meta.get("name") or ""
        objects = self._kinds[scope.key].objects
        is_policy = scope.key == "networkpolicies"
        if event.type == "DELETED":
            bucket = objects.get(ns)
            if bucket is not None:
                bucket.pop(name, None)
                if not bucket:
                    del objects[ns]
            if is_policy and ns in self._policies:
                self._policies[ns].pop(name, None)
                if not self._policies[ns]:
                    del self._policies[ns]
        else:
            objects.setdefault(ns, {})[name] = event.object
            if is_policy:
                policy = _parse(event.object)
                if policy is not None:
                    self._policies.setdefault(ns, {})[name] = policy
                elif name in self._policies.get(ns, {}):
                    del self._policies[ns][name]
        self._bump(scope.key)
        return event.resource_version


def _parse(obj: dict[str, Any]) -> NetworkPolicy | None:
    try:
        return NetworkPolicy.from_dict(obj)
    except DomainError as exc:
        log.warning("cached NetworkPolicy %s not parsed: %s", (obj.get("metadata") or {}).get("name"), exc)
        return None
