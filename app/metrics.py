"""The console's Prometheus metrics (prometheus-client), exposed at ``/metrics``.

Counted as things happen (process-wide, in prometheus-client's default registry, beside its
process and Python collectors):

- ``netpol_http_request_duration_seconds{method, route, status}``: every HTTP request, by its
  route *template* (``/clusters/{cluster}/networkpolicies``, never the raw path, so the number
  of series stays bounded; ``<unmatched>`` when no route matched), status class (``2xx``…) and
  method (``other`` for any but the usual seven).
- ``netpol_kubernetes_request_duration_seconds{cluster, verb, kind}`` and
  ``netpol_kubernetes_errors_total{cluster, verb, kind, error}``: every call to an API server
  (``Cluster._call``, where all of them go), ``error`` the domain error it became.
- ``netpol_kubernetes_watch_starts_total{cluster, kind}`` and
  ``netpol_kubernetes_watch_events_total{cluster, kind, type}``: watches are long-lived, so they
  are counted (opened, including every restart, and their events) instead of timed.
- ``netpol_logins_total{method, result}``: sign-ins by ``password`` or ``oidc``,
  ``success`` or ``failure``; ``netpol_login_lockouts_total``: attempts refused by a lock.

Read at scrape time from the app's clusters (``ClusterState``, no background loop):

- ``netpol_cache_stale_seconds{cluster, kind}``: seconds since the cache last heard of the kind
  (a list, an event or a bookmark; the oldest of the kind's scopes); absent before the first list.
- ``netpol_cache_synced{cluster, kind}``: 1 when every scope of the kind is synced.
- ``netpol_networkpolicies{cluster}``: the NetworkPolicies the cache holds.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

if TYPE_CHECKING:
    from app.cluster.registry import ClusterRegistry

__all__ = ["CONTENT_TYPE_LATEST", "exposition"]

P = ParamSpec("P")
T = TypeVar("T")

HTTP_REQUESTS = Histogram(
    "netpol_http_request_duration_seconds",
    "HTTP requests served, by route template and status class.",
    ["method", "route", "status"],
)
KUBERNETES_REQUESTS = Histogram(
    "netpol_kubernetes_request_duration_seconds",
    "Calls to the Kubernetes API servers (watches excepted), by verb and resource kind.",
    ["cluster", "verb", "kind"],
)
KUBERNETES_ERRORS = Counter(
    "netpol_kubernetes_errors",
    "Calls to the Kubernetes API servers that failed, by verb, kind and the error they became.",
    ["cluster", "verb", "kind", "error"],
)
WATCH_STARTS = Counter(
    "netpol_kubernetes_watch_starts",
    "Watches opened (the first one of each cache scope and every restart), by kind.",
    ["cluster", "kind"],
)
WATCH_EVENTS = Counter(
    "netpol_kubernetes_watch_events",
    "Watch events received, by kind and event type (ADDED, MODIFIED, DELETED, BOOKMARK).",
    ["cluster", "kind", "type"],
)
LOGINS = Counter(
    "netpol_logins",
    "Sign-in attempts decided, by method (password, oidc) and result (success, failure).",
    ["method", "result"],
)
LOGIN_LOCKOUTS = Counter(
    "netpol_login_lockouts",
    "Password sign-in attempts refused because the account or the address was locked.",
)

UNMATCHED = "<unmatched>"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_VERSIONED = re.compile(r"^/(?:api/[^/]+|apis/[^/]+/[^/]+)/(.*)$")


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in HTTP_METHODS else "other"  # a client may send any token as a method
    HTTP_REQUESTS.labels(method, route, status_class(status)).observe(seconds)


def verb_and_kind(method: str, path: str) -> tuple[str, str]:
    """The Kubernetes verb and resource (plural) of a REST call, from its method and path:
    ``GET /apis/apps/v1/namespaces/a/deployments`` is ``list`` of ``deployments``."""
    found = _VERSIONED.match(path.split("?", 1)[0])
    parts = found.group(1).split("/") if found else []
    if len(parts) >= 3 and parts[0] == "namespaces":
        kind, named = parts[2], len(parts) > 3
    else:
        kind, named = (parts[0] if parts else "unknown"), len(parts) > 1
    verbs = {"GET": "get" if named else "list", "POST": "create", "PUT": "update", "PATCH": "patch",
             "DELETE": "delete"}
    return verbs.get(method.upper(), method.lower()), kind


@contextmanager
def kubernetes_errors(cluster: str, verb: str, kind: str) -> Iterator[None]:
    """Count an exception raised inside as an error of this call (by the exception's class)."""
    try:
        yield
    except Exception as exc:
        KUBERNETES_ERRORS.labels(cluster, verb, kind, type(exc).__name__).inc()
        raise


@contextmanager
def kubernetes_call(cluster: str, method: str, path: str) -> Iterator[None]:
    """Time one API call, and count it as an error when it raises."""
    verb, kind = verb_and_kind(method, path)
    started = time.perf_counter()
    try:
        with kubernetes_errors(cluster, verb, kind):
            yield
    finally:
        KUBERNETES_REQUESTS.labels(cluster, verb, kind).observe(time.perf_counter() - started)


@contextmanager
def kubernetes_watch(cluster: str, kind: str) -> Iterator[None]:
    """Count a watch as started, and its failure (opening it, or on the stream) as an error."""
    WATCH_STARTS.labels(cluster, kind).inc()
    with kubernetes_errors(cluster, "watch", kind):
        yield


def watch_event(cluster: str, kind: str, event_type: str) -> None:
    WATCH_EVENTS.labels(cluster, kind, event_type).inc()


def login(method: str) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Count what the decorated sign-in step decides: a result that is not None is a success;
    None or an exception a failure (the exception goes on)."""

    def decorate(func: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(func)
        async def counted(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                result = await func(*args, **kwargs)
            except Exception:
                LOGINS.labels(method, "failure").inc()
                raise
            LOGINS.labels(method, "success" if result is not None else "failure").inc()
            return result

        return counted

    return decorate


def lockout() -> None:
    LOGIN_LOCKOUTS.inc()


class ClusterState:
    """The cache's state of each cluster, read when Prometheus scrapes."""

    def __init__(self, clusters: ClusterRegistry | None) -> None:
        self.clusters = clusters

    def collect(self) -> Iterable[Metric]:
        stale = GaugeMetricFamily(
            "netpol_cache_stale_seconds",
            "Seconds since the cache last heard of the kind (a list, event or bookmark; its oldest scope).",
            labels=["cluster", "kind"],
        )
        synced = GaugeMetricFamily(
            "netpol_cache_synced", "1 when every scope of the kind is synced, else 0.", labels=["cluster", "kind"]
        )
        policies = GaugeMetricFamily(
            "netpol_networkpolicies", "The NetworkPolicies in the cache of each cluster.", labels=["cluster"]
        )
        for cluster in self.clusters or ():
            cache = cluster.cache
            kinds = cache.readiness()["kinds"]
            by_kind: dict[str, list[dict[str, Any]]] = {}
            for scope in cache.scopes:
                by_kind.setdefault(scope.kind, []).append(kinds[scope.key])
            for kind, states in sorted(by_kind.items()):
                ages = [s["staleSeconds"] for s in states]
                if all(age is not None for age in ages):
                    stale.add_metric([cluster.name, kind], max(ages))
                synced.add_metric([cluster.name, kind], float(cache.readable(kind)))
            if cache.listed("networkpolicies"):
                policies.add_metric([cluster.name], cache.policy_count())
        yield from (stale, synced, policies)


class _Scrape:
    def __init__(self, clusters: ClusterRegistry | None) -> None:
        self.state = ClusterState(clusters)

    def collect(self) -> Iterable[Metric]:
        yield from REGISTRY.collect()
        yield from self.state.collect()


def exposition(clusters: ClusterRegistry | None) -> bytes:
    """The text exposition of every metric, the clusters' state read now (call it on the event
    loop: the caches' ages are measured in loop time)."""
    return generate_latest(_Scrape(clusters))  # type: ignore[arg-type]
