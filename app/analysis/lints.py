"""Lint (``app.policies.lint``) against a cluster as its cache holds it now: its pods, namespaces,
policies and Services, and how it enforces policies (eBPF or iptables) with its in-cluster ranges."""

from __future__ import annotations

import weakref
from collections.abc import Iterable

from app.analysis import snapshot
from app.cluster.cache import ClusterCache
from app.cluster.client import Cluster
from app.policies.lint import Lint, lint
from app.policies.model import NetworkPolicy

# cache → (its version when computed, {namespace/name: the stored policy's lints}): the list page
# marks every row, and nothing it depends on changes between most renders.
_stored: weakref.WeakKeyDictionary[ClusterCache, tuple[int, dict[str, list[Lint]]]] = weakref.WeakKeyDictionary()


def lint_in_cluster(cluster: Cluster, policy: NetworkPolicy) -> list[Lint]:
    """The findings on ``policy`` as it would be in ``cluster`` (a stored policy of the same name is
    replaced). Services the console may not read count as none."""
    return lint_each(cluster, [policy])[policy.ref()]


def lint_stored(cluster: Cluster, policies: Iterable[NetworkPolicy]) -> dict[str, list[Lint]]:
    """``lint_each`` of policies as the cache holds them, remembered until the cache changes."""
    cache = cluster.cache
    hit = _stored.get(cache)
    if hit is None or hit[0] != cache.version:
        hit = (cache.version, {})
        _stored[cache] = hit
    known = hit[1]
    missing = [p for p in policies if p.ref() not in known]
    if missing:
        known.update(lint_each(cluster, missing))
    return {p.ref(): known[p.ref()] for p in policies}


def lint_each(cluster: Cluster, policies: Iterable[NetworkPolicy]) -> dict[str, list[Lint]]:
    """The findings on each of ``policies``, by ``namespace/name``."""
    cache = cluster.cache
    world = snapshot.world(cluster)
    services = snapshot.services(cluster)
    implementation = cache.enforcement().implementation
    ranges = cache.in_cluster_ranges()
    return {p.ref(): lint(p, world, services=services, implementation=implementation, ranges=ranges) for p in policies}
