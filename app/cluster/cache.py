"""A watch-fed, in-memory copy of the objects the console shows, one per cluster.

For every cached scope (a kind, cluster-wide; or, with ``namespaces`` given, a kind in each of those
namespaces) a task lists (in pages) and then watches from the list's resourceVersion, as
client-go's reflector does:

* a failed list or watch, a 410 Expired (the relist it forces) and a 504 ResourceVersionTooLarge
  wait an exponential backoff with jitter (0.8 s doubling to 30 s, up to twice that with jitter)
  before listing again; the backoff resets only after a watch has stayed up for ``reset_after``
  seconds, so a server that keeps failing is not hammered;
* a 429 waits at least the Retry-After the server asked for;
* a 403 marks the scope ``forbidden`` (which verb, the API server's message) and is retried with
  its own, slower backoff (up to 5 minutes); every other kind keeps working. The cache counts as
  ``ready`` once every scope is either synced or forbidden;
* bookmarks (``allowWatchBookmarks``) move the resourceVersion on without objects; every event or
  bookmark marks the scope fresh, and ``readiness()`` reports each scope's staleness (seconds
  since the last list, event or bookmark).

Objects are kept as typed records (app/cluster/records.py, built once as the list or the event
brings them in) in ``{namespace: {name: record}}`` indexes per scope (cluster-scoped kinds under
namespace ``""``), so an event costs O(1) and a namespace's objects are found without a scan;
NetworkPolicies are also kept parsed; ``metadata.managedFields`` is dropped as objects come in.
Callers read them through typed methods (``namespaces()``,
``pods()``, ``workloads()``, ``network_policies()``, ...); ``list()`` and ``get()`` serve any kind.

Change notification: ``version`` grows by one with each change (an event, a state change, or a
completed re-list); ``await wait_changed(since, timeout)`` returns as soon as it passes ``since``.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import logging
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from app.cluster.errors import Expired, TooLargeResourceVersion
from app.cluster.records import NamespaceRecord, NodeRecord, PodRecord, Record, WorkloadRecord, record
from app.cluster.resources import Resource, resource
from app.cluster.terway import (
    ACK_PROFILE,
    DAEMONSETS,
    KUBE_PROXY_CONFIGMAP,
    RANGE_CONFIGMAPS,
    TERWAY_CONFIGMAP,
    TERWAY_NAMESPACE,
    Enforcement,
    NodeFacts,
    assess,
    in_cluster_ranges,
)
from app.errors import BadRequest, DomainError, Forbidden, Unavailable
from app.policies.model import NetworkPolicy

if TYPE_CHECKING:
    from app.cluster.client import Cluster, WatchEvent

log = logging.getLogger(__name__)

# With NETPOL_NAMESPACES leaving kube-system out, Terway's DaemonSet is watched on its own, under
# this name, so that it does not show among the chosen namespaces' workloads.
TERWAY_DAEMONSETS = "terway-daemonsets"
# ack-cluster-profile and kube-proxy-worker are read under this name, apart from eni-config's
# "configmaps": a console not allowed to read them still knows whether Terway enforces policies.
RANGE_CONFIGMAPS_KIND = "range-configmaps"
# What ``enforcement()`` is computed from.
ENFORCEMENT_KINDS = ("configmaps", RANGE_CONFIGMAPS_KIND, "nodes", "daemonsets", TERWAY_DAEMONSETS, "networkpolicies")

# Scope states, as readiness() reports them.
SYNCING, READY, ERROR, FORBIDDEN, STOPPED = "syncing", "ready", "error", "forbidden", "stopped"
SETTLED = (READY, FORBIDDEN)

CACHED_KINDS = (
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


@dataclass(frozen=True)
class CacheScope:
    """What one watch covers: a resource, optionally one namespace and one object name (or only
    the objects named in ``names``, filtered here). ``group``: the name its objects are read under
    (default: the resource's plural)."""

    key: str
    resource: Resource
    namespace: str | None = None
    name: str | None = None
    names: tuple[str, ...] = ()
    group: str | None = None

    @property
    def kind(self) -> str:
        return self.group or self.resource.plural

    @property
    def field_selector(self) -> str | None:
        return f"metadata.name={self.name}" if self.name else None

    def accepts(self, obj: dict[str, Any]) -> bool:
        name = (obj.get("metadata") or {}).get("name")
        return (self.name is None or name == self.name) and (not self.names or name in self.names)


def scopes(namespaces: Iterable[str] | None = None) -> tuple[CacheScope, ...]:
    """The scopes a cache watches: every kind cluster-wide; with ``namespaces``, the namespaced
    kinds in each of them and those Namespace objects by name (what a console allowed only some
    namespaces can list and watch); the nodes stay cluster-wide (their own 403 when RBAC says no)
    and Terway's DaemonSets in kube-system are watched on their own. The Terway ConfigMap and the
    ConfigMaps the in-cluster ranges come from are always watched, each by its name (what RBAC's
    resourceNames can grant)."""
    configmaps = resource("configmaps")
    terway = (
        CacheScope("configmaps", configmaps, TERWAY_NAMESPACE, TERWAY_CONFIGMAP),
        *(
            CacheScope(f"{RANGE_CONFIGMAPS_KIND}/{n}", configmaps, TERWAY_NAMESPACE, n, group=RANGE_CONFIGMAPS_KIND)
            for n in RANGE_CONFIGMAPS
        ),
    )
    if not namespaces:
        return tuple(CacheScope(kind, resource(kind)) for kind in CACHED_KINDS) + terway
    chosen = list(dict.fromkeys(namespaces))
    out: list[CacheScope] = []
    for kind in CACHED_KINDS:
        res = resource(kind)
        if kind == "namespaces":
            out += [CacheScope(f"namespaces/{ns}", res, None, ns) for ns in chosen]
        elif not res.namespaced:
            out.append(CacheScope(kind, res))
        else:
            out += [CacheScope(f"{kind}@{ns}", res, ns) for ns in chosen]
    if TERWAY_NAMESPACE not in chosen:
        daemonsets = resource("daemonsets")
        out.append(CacheScope(TERWAY_DAEMONSETS, daemonsets, TERWAY_NAMESPACE, None, DAEMONSETS, TERWAY_DAEMONSETS))
    return (*out, *terway)


SCOPES = scopes()


class Backoff:
    """client-go's exponential backoff for its reflector: ``initial`` doubling to ``cap``, each
    wait stretched by up to ``jitter`` times itself, reset on demand (after a healthy watch)."""

    def __init__(self, initial: float = 0.8, cap: float = 30.0, jitter: float = 1.0) -> None:
        self.initial, self.cap, self.jitter = initial, cap, jitter
        self._next = initial

    def reset(self) -> None:
        self._next = self.initial

    def step(self) -> float:
        """The next wait (and doubles the one after)."""
        base = self._next
        self._next = min(self._next * 2, self.cap)
        return base + random.uniform(0, base * self.jitter)


@dataclass
class _ScopeState:
    state: str = STOPPED
    error: str | None = None
    verb: str | None = None  # with FORBIDDEN or ERROR: "list" or "watch"
    fresh_at: float | None = None  # loop time of the last list, event or bookmark
    lists: int = 0  # completed lists: the first, then one for each relist
    objects: dict[str, dict[str, Record]] = field(default_factory=dict)


class ClusterCache:
    """The cached objects of one cluster; ``start()`` runs the watches, ``stop()`` ends them."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        namespaces: Iterable[str] | None = None,
        page_size: int = 500,
        watch_timeout: int = 300,
        backoff: tuple[float, float] = (0.8, 30.0),
        forbidden_backoff: tuple[float, float] = (5.0, 300.0),
        reset_after: float = 60.0,
    ) -> None:
        self._cluster = cluster
        self.scopes = scopes(namespaces)
        self._page_size = page_size
        self._watch_timeout = watch_timeout
        self._backoff = backoff
        self._forbidden_backoff = forbidden_backoff
        self._reset_after = reset_after
        self._scopes: dict[str, _ScopeState] = {s.key: _ScopeState() for s in self.scopes}
        self._of_kind: dict[str, list[CacheScope]] = {}
        for scope in self.scopes:
            self._of_kind.setdefault(scope.kind, []).append(scope)
        self._policies: dict[str, dict[str, NetworkPolicy]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.version = 0
        self._kind_versions: dict[str, int] = dict.fromkeys(self._of_kind, 0)
        self._changed = asyncio.Event()
        self._ready = asyncio.Event()
        self._enforcement: tuple[tuple[int, ...], Enforcement] | None = None
        # (the kinds' versions, the addresses read, the ranges): a pod's label or status changes
        # the pods' version several times a second, its address seldom
        self._ranges_memo: tuple[tuple[int, ...], tuple[str, ...], tuple[str, ...]] | None = None

    # -- reading -----------------------------------------------------------------------------

    def _kind(self, kind: str) -> str:
        plural = kind if kind in self._of_kind else resource(kind).plural
        if plural not in self._of_kind:
            raise BadRequest(f"{kind!r} is not cached")
        return plural

    def _states(self, kind: str) -> list[_ScopeState]:
        return [self._scopes[s.key] for s in self._of_kind[self._kind(kind)]]

    def list(self, kind: str, namespace: str | None = None) -> list[Record]:
        """Cached objects of a kind ("pods" or "Pod"), in one namespace or all of them."""
        out: list[Record] = []
        for state in self._states(kind):
            if namespace is not None:
                out.extend(state.objects.get(namespace, {}).values())
            else:
                out.extend(obj for bucket in state.objects.values() for obj in bucket.values())
        return out

    def get(self, kind: str, namespace: str | None, name: str) -> Record | None:
        for state in self._states(kind):
            found = state.objects.get(namespace or "", {}).get(name)
            if found is not None:
                return found
        return None

    def namespaces(self) -> builtins.list[NamespaceRecord]:
        return [r for r in self.list("namespaces") if isinstance(r, NamespaceRecord)]

    def namespace(self, name: str) -> NamespaceRecord | None:
        found = self.get("namespaces", None, name)
        return found if isinstance(found, NamespaceRecord) else None

    def namespace_names(self) -> builtins.list[str]:
        """The cached namespaces' names, sorted."""
        return sorted(ns.name for ns in self.namespaces())

    def pods(self, namespace: str | None = None) -> builtins.list[PodRecord]:
        return [r for r in self.list("pods", namespace) if isinstance(r, PodRecord)]

    def workloads(self, kind: str, namespace: str | None = None) -> builtins.list[WorkloadRecord]:
        """The workloads of one kind ("deployments" or "Deployment"), sorted by namespace and name."""
        found = [r for r in self.list(kind, namespace) if isinstance(r, WorkloadRecord)]
        return sorted(found, key=lambda w: (w.namespace, w.name))

    def network_policies(self, namespace: str | None = None) -> builtins.list[NetworkPolicy]:
        if namespace is not None:
            return list(self._policies.get(namespace, {}).values())
        return [p for bucket in self._policies.values() for p in bucket.values()]

    def policy_count(self) -> int:
        return sum(len(bucket) for bucket in self._policies.values())

    def network_policy(self, namespace: str, name: str) -> NetworkPolicy | None:
        return self._policies.get(namespace, {}).get(name)

    def terway_config(self) -> dict[str, str] | None:
        """The data of the ConfigMap kube-system/eni-config, when the cluster has one."""
        return self._configmap_data(TERWAY_CONFIGMAP)

    def _configmap_data(self, name: str, kind: str = "configmaps") -> dict[str, str] | None:
        found = self.get(kind, TERWAY_NAMESPACE, name)
        if found is None:
            return None
        data = found.object.get("data")
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def in_cluster_ranges(self) -> tuple[str, ...]:
        """The cluster's in-cluster address ranges (``terway.in_cluster_ranges``): eni-config's
        service_cidr, ack-cluster-profile's serviceCIDR and kube-proxy-worker's clusterCIDR (each
        watched by name, when the cluster has it and the console may read it), then the cached
        pods' IPs and Services' ClusterIPs that those ranges do not cover."""
        key = tuple(self._kind_versions.get(k, 0) for k in ("pods", "services", "configmaps", RANGE_CONFIGMAPS_KIND))
        memo = self._ranges_memo
        if memo is not None and memo[0] == key:
            return memo[2]
        addresses = [p.pod_ip for p in self.pods() if p.pod_ip]
        for svc in self.list("services"):
            spec = svc.object.get("spec") or {}
            ips = spec.get("clusterIPs") or [spec.get("clusterIP")]
            addresses += [str(ip) for ip in ips if ip and ip != "None"]
        configs = key[2:]
        read = tuple(addresses)
        found = memo[2] if memo is not None and memo[0][2:] == configs and memo[1] == read else self._ranges(read)
        self._ranges_memo = (key, read, found)
        return found

    def _ranges(self, addresses: Iterable[str] = ()) -> tuple[str, ...]:
        return in_cluster_ranges(
            self.terway_config(),
            self._configmap_data(ACK_PROFILE, RANGE_CONFIGMAPS_KIND),
            self._configmap_data(KUBE_PROXY_CONFIGMAP, RANGE_CONFIGMAPS_KIND),
            addresses,
        )

    def enforcement(self) -> Enforcement:
        """Whether and where NetworkPolicies are enforced (app/cluster/terway.py), from eni-config,
        Terway's DaemonSets, the nodes and the policy count; recomputed only after one of them
        changed. Nodes the console may not read make per-node enforcement unknown, not an error."""
        kinds = [k for k in ENFORCEMENT_KINDS if k in self._of_kind]
        # of the policies only their number counts: an edited policy (every write) keeps the answer
        count = self.policy_count()
        key = (*(self._kind_versions[k] for k in kinds if k != "networkpolicies"), count)
        if self._enforcement is not None and self._enforcement[0] == key:
            return self._enforcement[1]
        forbidden = self.unreadable()
        daemonsets = [
            r.object for k in ("daemonsets", TERWAY_DAEMONSETS) if k in kinds for r in self.list(k, TERWAY_NAMESPACE)
        ]
        nodes = None
        if "nodes" not in forbidden and self.listed("nodes"):
            nodes = [NodeFacts(n.name, n.labels, n.kernel) for n in self.list("nodes") if isinstance(n, NodeRecord)]
        found = assess(
            self.terway_config(),
            daemonsets,
            nodes,
            count,
            config_readable="configmaps" not in forbidden,
        )
        found = replace(found, in_cluster_ranges=self._ranges())
        self._enforcement = (key, found)
        return found

    # -- state -------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Every scope is synced or known to be forbidden: what can be read, is."""
        return all(k.state in SETTLED for k in self._scopes.values())

    @property
    def state(self) -> str:
        states = {k.state for k in self._scopes.values()}
        for candidate in (STOPPED, ERROR, SYNCING):
            if candidate in states:
                return candidate
        return READY

    def readable(self, kind: str) -> bool:
        """Every scope of the kind is synced (none forbidden, failing or syncing)."""
        return all(state.state == READY for state in self._states(kind))

    def listed(self, kind: str) -> bool:
        """Every scope of the kind was listed at least once (what it holds may since be stale)."""
        return all(state.lists > 0 for state in self._states(kind))

    def unreadable(self) -> dict[str, str]:
        """``{kind: why}`` for each kind with a scope the console may not list or watch."""
        out: dict[str, str] = {}
        for scope in self.scopes:
            state = self._scopes[scope.key]
            if state.state == FORBIDDEN and scope.kind not in out:
                out[scope.kind] = state.error or "forbidden"
        return out

    def readiness(self) -> dict[str, Any]:
        """``{"ready", "state", "kinds": {scope: {"state", "objects", "error", "verb", "lists",
        "staleSeconds"}}, "forbidden": {kind: message}, "error"}``."""
        now = _now()
        kinds = {
            key: {
                "state": k.state,
                "objects": sum(len(bucket) for bucket in k.objects.values()),
                "error": k.error,
                "verb": k.verb,
                "lists": k.lists,
                "staleSeconds": round(now - k.fresh_at, 1) if k.fresh_at is not None and now else None,
            }
            for key, k in self._scopes.items()
        }
        errors = sorted({k.error for k in self._scopes.values() if k.error and k.state == ERROR})
        return {
            "ready": self.ready,
            "state": self.state,
            "kinds": kinds,
            "forbidden": self.unreadable(),
            "error": "; ".join(errors) if errors else None,
        }

    def kind_version(self, kind: str) -> int:
        """The ``version`` at this kind's last change (0: never)."""
        return self._kind_versions[self._kind(kind)]

    async def wait_ready(self, timeout: float) -> bool:
        """Wait until every scope is synced or forbidden; False when ``timeout`` seconds pass first."""
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

    def _bump(self, scope: CacheScope) -> None:
        self.version += 1
        self._kind_versions[scope.kind] = self.version
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def _set_state(self, scope: CacheScope, state: str, error: str | None = None, verb: str | None = None) -> None:
        kind = self._scopes[scope.key]
        if (kind.state, kind.error, kind.verb) == (state, error, verb):
            return
        kind.state, kind.error, kind.verb = state, error, verb
        if self.ready:
            self._ready.set()
        else:
            self._ready.clear()
        self._bump(scope)

    # -- running -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return any(not t.done() for t in self._tasks)

    async def start(self) -> None:
        """Start one list-and-watch task per scope; returns at once (see ``wait_ready``)."""
        if self.running:
            return
        if not self._cluster.usable:
            for scope in self.scopes:
                self._set_state(scope, ERROR, self._cluster.load_error or "not configured")
            return
        for scope in self.scopes:
            self._set_state(scope, SYNCING)
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
            for scope in self.scopes:
                self._set_state(scope, STOPPED)

    async def _run(self, scope: CacheScope) -> None:
        """List, then watch from the list's version; on any failure wait the backoff, list again."""
        loop = asyncio.get_running_loop()
        backoff, slow = Backoff(*self._backoff), Backoff(*self._forbidden_backoff)
        rv, listed, verb = "", False, "list"
        while True:
            try:
                if not listed:
                    verb = "list"
                    rv = await self._relist(scope)
                    listed = True
                    slow.reset()
                verb = "watch"
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
                    if loop.time() - started >= self._reset_after:
                        backoff.reset()
                # The server ended the watch (its timeout, or it is going away): resume from rv at
                # once after a healthy watch; after one that ended at once, wait first.
                if loop.time() - started >= self._reset_after:
                    backoff.reset()
                elif events == 0 and loop.time() - started < 1.0:
                    await asyncio.sleep(backoff.step())
            except (Expired, TooLargeResourceVersion) as exc:
                # The version is gone (compacted) or not yet here (another server): list again,
                # rate-limited like every relist.
                listed = False
                await asyncio.sleep(max(backoff.step(), getattr(exc, "retry_after", None) or 0))
            except asyncio.CancelledError:
                raise
            except Forbidden as exc:
                self._set_state(scope, FORBIDDEN, exc.message, verb)
                listed = False
                await asyncio.sleep(slow.step())
            except Exception as exc:  # a background task: report every failure, never die
                if not isinstance(exc, DomainError):
                    log.exception("cache %s/%s failed", self._cluster.name, scope.key)
                self._set_state(scope, ERROR, str(exc) or exc.__class__.__name__, verb)
                listed = False
                asked = exc.retry_after if isinstance(exc, Unavailable) else None
                await asyncio.sleep(max(backoff.step(), asked or 0))

    async def _relist(self, scope: CacheScope) -> str:
        objects: dict[str, dict[str, Record]] = {}
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
                    objects.setdefault(meta.get("namespace") or "", {})[meta.get("name") or ""] = _record(scope, obj)
            meta = page.get("metadata") or {}
            rv = str(meta.get("resourceVersion") or rv)
            token = meta.get("continue") or None
            if not token:
                break
        state = self._scopes[scope.key]
        if scope.kind == "networkpolicies":
            # This scope's namespaces are replaced; other scopes' stay.
            for ns in [ns for ns in self._policies if scope.namespace in (None, ns)]:
                del self._policies[ns]
            for ns, bucket in objects.items():
                parsed = {name: p for name, r in bucket.items() if (p := _parse(r.object)) is not None}
                if parsed:
                    self._policies[ns] = parsed
        state.objects = objects
        state.fresh_at = _now()
        state.lists += 1
        state.state = SYNCING  # force the READY transition below to notify
        self._set_state(scope, READY)
        return rv

    def _apply(self, scope: CacheScope, event: WatchEvent) -> str:
        """Apply one watch event in O(1); returns its resourceVersion."""
        state = self._scopes[scope.key]
        state.fresh_at = _now()
        if event.type == "BOOKMARK" or not scope.accepts(event.object):
            return event.resource_version
        meta = event.object.get("metadata") or {}
        ns, name = meta.get("namespace") or "", meta.get("name") or ""
        objects = state.objects
        is_policy = scope.kind == "networkpolicies"
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
            objects.setdefault(ns, {})[name] = _record(scope, event.object)
            if is_policy:
                policy = _parse(event.object)
                if policy is not None:
                    self._policies.setdefault(ns, {})[name] = policy
                elif name in self._policies.get(ns, {}):
                    del self._policies[ns][name]
        self._bump(scope)
        return event.resource_version


def _now() -> float:
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:  # read outside a loop (a synchronous caller): no staleness to report
        return 0.0


def _record(scope: CacheScope, obj: dict[str, Any]) -> Record:
    # metadata.managedFields is shown nowhere (pages, YAML, audit and editing leave it out) and is
    # about 40% of a pod's JSON: not kept, as client-go's informers are commonly told to drop it
    # (at 10,000 pods it is some 80 MB). ``_parse`` reads the same, trimmed object.
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return record(scope.resource.plural, scope.resource.kind, obj)


def _parse(obj: Mapping[str, Any]) -> NetworkPolicy | None:
    try:
        return NetworkPolicy.from_dict(obj)
    except DomainError as exc:
        log.warning("cached NetworkPolicy %s not parsed: %s", (obj.get("metadata") or {}).get("name"), exc)
        return None
