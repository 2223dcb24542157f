"""The World snapshot of a cluster's cache and the questions the pages ask of it."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.policies.documents import Namespace, Pod
from app.policies.matrix import Matrix
from app.policies.model import NetworkPolicy
from app.policies.reachability import (
    EGRESS,
    INGRESS,
    CompiledPolicy,
    Endpoint,
    PeerMatcher,
    Verdict,
    World,
    compile_policy,
    parse_ref,
    peer_matches,
)
from app.policies.reachability import explain as _explain
from app.policies.reachability import matrix as _matrix
from app.policies.selectors import requirements_match

DIRECTIONS = (INGRESS, EGRESS)
_KINDS = ("namespaces", "pods", "networkpolicies")

# cache → (the kinds' versions it was built at, the world); weak so a closed cluster is forgotten.
_memo: weakref.WeakKeyDictionary[Any, tuple[tuple[int, ...], World]] = weakref.WeakKeyDictionary()


def _versions(cache: Any) -> tuple[int, ...]:
    return tuple(cache.kind_version(k) for k in _KINDS)


def world(cluster: Any) -> World:
    """The cluster's World as its cache holds it now; the same object until a Namespace, Pod or
    NetworkPolicy changes."""
    cache = cluster.cache
    key = _versions(cache)
    hit = _memo.get(cache)
    if hit is not None and hit[0] == key:
        return hit[1]
    built = World(
        (Namespace.from_dict(n) for n in cache.list("namespaces")),
        (Pod.from_dict(p) for p in cache.list("pods")),
        cache.network_policies(),
    )
    _memo[cache] = (key, built)
    return built


def explain(cluster: Any, src: str, dst: str, port: int | str, protocol: str = "TCP") -> Verdict:
    """Decide ``src`` → ``dst`` (each ``ns/pod`` or an IP address). Raises ``NotFound`` for an
    unknown pod, ``BadRequest`` for a malformed reference or two IP addresses."""
    w = world(cluster)
    return _explain(w, parse_ref(w, src), parse_ref(w, dst), port, protocol)


def namespace_pods(cluster: Any, namespace: str | None) -> list[Pod]:
    """The pods of a namespace (every pod with None), sorted by namespace and name."""
    return [p for p in world(cluster).sorted_pods() if namespace is None or p.namespace == namespace]


def matrix(cluster: Any, namespace: str | None, port: int | str, protocol: str = "TCP") -> Matrix:
    """Who may connect to whom among a namespace's pods (all pods with None) on one port."""
    w = world(cluster)
    return _matrix(w, port, protocol, namespace_pods(cluster, namespace))


def selected_pods(cluster: Any, policy: NetworkPolicy) -> list[Pod]:
    """The pods the policy's podSelector selects (in its namespace)."""
    cp = compile_policy(policy)
    return [p for p in namespace_pods(cluster, cp.namespace) if cp.selects(p)]


@dataclass
class PeerPods:
    """One peer of a rule: its description and the pods it matches, by namespace. An ipBlock
    peer keeps its CIDRs; ``pods`` then lists pods whose podIP falls in the block."""

    index: int | None  # None: the rule names no peers (every source/destination)
    text: str
    cidr: str | None = None
    excepts: tuple[str, ...] = ()
    pods: dict[str, list[str]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.pods.values())


@dataclass
class RulePeers:
    """One ingress or egress rule with its peers resolved and its ports described."""

    direction: str
    index: int
    peers: list[PeerPods]
    ports: list[str]

    @property
    def path(self) -> str:
        return f"spec.{self.direction.lower()}[{self.index}]"


def _group(pods: list[Pod]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pod in pods:
        out.setdefault(pod.namespace, []).append(pod.name)
    return out


def _peer_pods(w: World, cp: CompiledPolicy, peer: PeerMatcher) -> PeerPods:
    pods = [p for p in w.sorted_pods() if peer_matches(w, cp.namespace, peer, Endpoint(pod=p))]
    text = peer.describe(cp.namespace)
    if peer.block is not None:
        return PeerPods(peer.index, text, peer.block.cidr, peer.block.excepts, _group(pods))
    return PeerPods(peer.index, text, pods=_group(pods))


def resolved_peers(cluster: Any, policy: NetworkPolicy) -> dict[str, list[RulePeers] | None]:
    """For Ingress and Egress: None when the policy does not restrict that direction, else each
    rule with its peers resolved to the pods they match today (an empty list: deny all)."""
    w = world(cluster)
    cp = compile_policy(policy)
    out: dict[str, list[RulePeers] | None] = {}
    for direction in DIRECTIONS:
        rules = cp.rules(direction)
        if rules is None:
            out[direction] = None
            continue
        resolved = []
        for rule in rules:
            if rule.peers is None:
                everyone = "any source" if direction == INGRESS else "any destination"
                peers = [PeerPods(None, everyone, pods=_group(w.sorted_pods()))]
            else:
                peers = [_peer_pods(w, cp, peer) for peer in rule.peers]
            ports = [pm.describe() for pm in rule.ports] if rule.ports is not None else ["all ports"]
            resolved.append(RulePeers(direction, rule.index, peers, ports))
        out[direction] = resolved
    return out


def unprotected_after_delete(cluster: Any, policy: NetworkPolicy) -> dict[str, list[Pod]]:
    """Per direction the policy restricts: the pods it selects that no OTHER policy selects for
    that direction — deleting it leaves them unrestricted there."""
    w = world(cluster)
    cp = compile_policy(policy)
    out: dict[str, list[Pod]] = {}
    for direction in DIRECTIONS:
        if cp.rules(direction) is None:
            continue
        out[direction] = [
            pod
            for pod in namespace_pods(cluster, cp.namespace)
            if cp.selects(pod) and not any(other.ref != cp.ref for other in w.selecting(pod, direction))
        ]
    return out


def policies_selecting(cluster: Any, namespace: str, labels: Mapping[str, str]) -> list[CompiledPolicy]:
    """The policies of a namespace whose podSelector matches pods carrying ``labels``."""
    return [
        cp for cp in world(cluster).by_namespace.get(namespace, ()) if requirements_match(cp.selector, labels)
    ]
