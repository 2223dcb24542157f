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

# cache → (what the lints read when computed: the Namespaces' and Pods' versions, the number of
# policies, the Services' version, the enforcement's implementation, the in-cluster ranges;
# {namespace/name: (the policy object, its lints)}). The list page marks every row: a change of
# another kind (a Deployment's status, an Event) keeps every lint, a changed policy is linted
# again alone, and a Pod or Namespace change costs one lint per policy, which reads only the
# namespaces the policy names.
_Read = tuple[int, int, int, int, str | None, tuple[str, ...]]
_stored: weakref.WeakKeyDictionary[ClusterCache, tuple[_Read, dict[str, tuple[NetworkPolicy, list[Lint]]]]] = (
    weakref.WeakKeyDictionary()
)


def lint_in_cluster(cluster: Cluster, policy: NetworkPolicy) -> list[Lint]:
    """The findings on ``policy`` as it would be in ``cluster`` (a stored policy of the same name is
    replaced). Services the console may not read count as none."""
    return lint_each(cluster, [policy])[policy.ref()]


def lint_stored(cluster: Cluster, policies: Iterable[NetworkPolicy]) -> dict[str, list[Lint]]:
    """``lint_each`` of policies as the cache holds them, each remembered until the policy or
    something its lint reads changes."""
    cache = cluster.cache
    read: _Read = (
        cache.kind_version("namespaces"),
        cache.kind_version("pods"),
        len(snapshot.world(cluster).policies),
        cache.kind_version("services"),
        cache.enforcement().implementation,
        cache.in_cluster_ranges(),
    )
    hit = _stored.get(cache)
    if hit is None or hit[0] != read:
        hit = (read, {})
        _stored[cache] = hit
    known = hit[1]
    policies = list(policies)
    missing = [p for p in policies if (found := known.get(p.ref())) is None or found[0] is not p]
    if missing:
        known.update(
            (ref, (p, lints)) for p, (ref, lints) in zip(missing, lint_each(cluster, missing).items(), strict=True)
        )
    return {p.ref(): known[p.ref()][1] for p in policies}


def lint_each(cluster: Cluster, policies: Iterable[NetworkPolicy]) -> dict[str, list[Lint]]:
    """The findings on each of ``policies``, by ``namespace/name``."""
    cache = cluster.cache
    world = snapshot.world(cluster)
    services = snapshot.services(cluster)
    implementation = cache.enforcement().implementation
    ranges = cache.in_cluster_ranges()
    return {p.ref(): lint(p, world, services=services, implementation=implementation, ranges=ranges) for p in policies}
