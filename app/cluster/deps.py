"""The cluster a request names, typed and readiness-checked: the one dependency of the pages
(app/web/deps.py) and the REST API (app/api/common.py) for every route under ``/clusters/{cluster}``.

``ready_cluster()`` is the check, in this order:

* an unknown cluster name is ``NotFound``;
* a cache still syncing is waited for, up to ``CACHE_WAIT_SECONDS``;
* a kind the route needs that the console may not list or watch there is ``Forbidden``, with the
  API server's words; kinds a route does not need never stand in its way;
* a cache that is not synced is ``Unavailable`` (reads come from the cache, and a cache that lost
  its API server must not pass for an empty cluster) — except, with ``stale_ok``, when every kind
  the route needs was listed once: the pages then show what they last knew under the banner that
  says the cluster cannot be read (templates/base.html), the API never does.

``reading(*kinds, stale_ok=)`` makes it a FastAPI dependency over the path's ``{cluster}``; each
surface turns the errors into its own answer (problem+json, or a page with a banner).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from app.cluster.cache import ERROR
from app.cluster.client import Cluster
from app.cluster.registry import ClusterRegistry
from app.errors import Forbidden, Unavailable

CACHE_WAIT_SECONDS = 5.0


async def ready_cluster(
    clusters: ClusterRegistry, name: str, kinds: tuple[str, ...] = (), *, stale_ok: bool = False
) -> Cluster:
    """The cluster ``name``, once its cache can answer for ``kinds`` (see the module docstring)."""
    cluster = clusters.get(name)
    cache = cluster.cache
    if not cache.ready and cache.state != ERROR:
        await cache.wait_ready(CACHE_WAIT_SECONDS)
    unreadable = cache.unreadable()
    for kind in kinds:
        if kind in unreadable:
            raise Forbidden(f"the console may not read {kind} in cluster {name!r}: {unreadable[kind]}")
    if not cache.ready and not (stale_ok and all(cache.listed(kind) for kind in kinds)):
        error = cache.readiness().get("error") or cache.state
        raise Unavailable(f"cluster {name!r} cannot be read right now: {error}")
    return cluster


def reading(*kinds: str, stale_ok: bool = False) -> Callable[[Request, str], Awaitable[Cluster]]:
    """A dependency: the path's cluster, checked by ``ready_cluster`` for ``kinds``."""

    async def dependency(request: Request, cluster: str) -> Cluster:
        return await ready_cluster(request.app.state.clusters, cluster, kinds, stale_ok=stale_ok)

    return dependency
