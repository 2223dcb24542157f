"""The World snapshot of a cluster's cache and the questions the pages ask of it.

The texts handed to the pages (a peer, "any source", a rule's ports) are ``Words``: English as
the API and the CLI read it, translated by the pages."""

from __future__ import annotations

import weakref
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from app.cluster.cache import ClusterCache
from app.cluster.client import Cluster
from app.errors import BadRequest, Forbidden, NotFound
from app.policies.connection import SERVICE, Answer, End
from app.policies.connection import check as _check
from app.policies.documents import Namespace, Pod
from app.policies.enforcement import DISABLED, Holding, judge, selected_unenforced, unenforced_pods
from app.policies.matrix import Matrix
from app.policies.matrix import matrix as _matrix
from app.policies.model import NetworkPolicy
from app.policies.reachability import (
    EGRESS,
    INGRESS,
    CompiledPolicy,
    Endpoint,
    PeerMatcher,
    PortMatcher,
    Verdict,
    World,
    compile_policy,
    parse_ref,
    peer_matches,
)
from app.policies.reachability import explain as _explain
from app.policies.selectors import format_requirements, requirements_match
from app.policies.services import Service
from app.policies.words import N_, Words

DIRECTIONS = (INGRESS, EGRESS)
_KINDS = ("namespaces", "pods", "networkpolicies")

# id of the policy object → (the object as the cache holds it, compiled): the cache keeps one
# parsed object per policy until its next event, so the same object compiles to the same answer.
# Keyed by identity, not by name: a change at 1,000 policies looks each up without building its
# name; the object is held here, so its id is not reused while the entry lives.
Compiled = dict[int, tuple[NetworkPolicy, CompiledPolicy]]

# cache → (the kinds' versions it was built at, the world, its compiled policies); weak so a
# closed cluster is forgotten.
_memo: weakref.WeakKeyDictionary[ClusterCache, tuple[tuple[int, ...], World, Compiled]] = weakref.WeakKeyDictionary()


def _versions(cache: ClusterCache) -> tuple[int, ...]:
    return tuple(cache.kind_version(k) for k in _KINDS)


def compiled(policies: Iterable[NetworkPolicy], known: Compiled | None = None) -> tuple[list[CompiledPolicy], Compiled]:
    """``policies`` compiled, each reused from ``known`` when it is the same object; with what to
    hand in next time (policies gone are left out)."""
    known = known or {}
    out: Compiled = {}
    for policy in policies:
        key = id(policy)
        hit = known.get(key)
        out[key] = hit if hit is not None and hit[0] is policy else (policy, compile_policy(policy))
    return [cp for _, cp in out.values()], out


def derived(
    previous: World | None,
    namespaces: Iterable[Namespace],
    pods: Iterable[Pod] | None,
    policies: Iterable[NetworkPolicy],
    known: Compiled | None = None,
) -> tuple[World, Compiled]:
    """The World of ``namespaces``, ``pods`` and ``policies``, equal to ``World(...)`` of them:
    policies compiled once per object (``compiled``), and with ``pods`` None the previous World's
    namespaces and pods kept (only policies changed)."""
    found, known = compiled(policies, known)
    if pods is None and previous is not None:
        return previous.with_policies(found), known
    return World(namespaces, pods or (), ()).with_policies(found), known


def world(cluster: Cluster) -> World:
    """The cluster's World as its cache holds it now; the same object until a Namespace, Pod or
    NetworkPolicy changes. After a change only what changed is done again: the policies are
    compiled once per version of each, and the pods are not read again when only policies
    changed."""
    cache = cluster.cache
    key = _versions(cache)
    hit = _memo.get(cache)
    if hit is not None and hit[0] == key:
        return hit[1]
    only_policies = hit is not None and hit[0][:2] == key[:2]
    built, known = derived(
        hit[1] if hit is not None else None,
        cache.namespaces(),
        None if only_policies else cache.pods(),
        cache.network_policies(),
        hit[2] if hit is not None else None,
    )
    _memo[cache] = (key, built, known)
    return built


def explain(cluster: Cluster, src: str, dst: str, port: int | str, protocol: str = "TCP") -> Verdict:
    """Decide ``src`` → ``dst`` (each ``ns/pod`` or an IP address). Raises ``NotFound`` for an
    unknown pod, ``BadRequest`` for a malformed reference or two IP addresses."""
    w = world(cluster)
    return _explain(w, parse_ref(w, src), parse_ref(w, dst), port, protocol)


def services(cluster: Cluster, namespace: str | None = None) -> list[Service]:
    """The cached Services (of one namespace, or all), sorted by namespace and name."""
    found = [Service.from_dict(r.object) for r in cluster.cache.list("services", namespace)]
    return sorted(found, key=lambda s: (s.namespace, s.name))


def service(cluster: Cluster, ref: str) -> Service:
    """The Service ``ns/name``: ``NotFound`` when the cache has none, ``Forbidden`` when the
    console may not read Services there."""
    namespace, _, name = ref.strip().partition("/")
    if not namespace or not name or "/" in name:
        raise BadRequest(f"not a Service reference (ns/name): {ref[:100]!r}")
    denied = cluster.cache.unreadable().get("services")
    if denied:
        raise Forbidden(f"the console may not read services in cluster {cluster.name!r}: {denied}")
    found = cluster.cache.get("services", namespace, name)
    if found is None:
        raise NotFound(f'services "{name}" not found in namespace {namespace}')
    return Service.from_dict(found.object)


def check(cluster: Cluster, src: End, dst: End, port: int | str, protocol: str = "TCP") -> Answer:
    """Decide ``src`` → ``dst`` where either end is a pod or an IP address and the destination may
    be a Service (see ``app.policies.connection``)."""
    target = service(cluster, dst.ref) if dst.kind == SERVICE else dst
    return _check(world(cluster), src, target, port, protocol)


# cache → (the pods' version it was built at, each pod's node): asked by every review and check.
_nodes: weakref.WeakKeyDictionary[ClusterCache, tuple[int, dict[str, str]]] = weakref.WeakKeyDictionary()


def pod_nodes(cluster: Cluster) -> Mapping[str, str]:
    """Each cached pod's node (``spec.nodeName``) by ``ns/name``; pods not yet scheduled left out.
    The same mapping (not to be changed) until a Pod changes."""
    cache = cluster.cache
    version = cache.kind_version("pods")
    hit = _nodes.get(cache)
    if hit is None or hit[0] != version:
        hit = _nodes[cache] = (version, {p.ref: p.node for p in cache.pods() if p.node})
    return hit[1]


def holds(cluster: Cluster, answer: Answer) -> Holding:
    """Whether the answer's Kubernetes verdict holds as Terway enforces policies on this cluster
    (``app.policies.enforcement``): the ``enforcement`` part beside the verdict."""
    if answer.verdict is not None:
        verdicts = [answer.verdict]
    else:
        verdicts = [b.verdict for b in (answer.service.backends if answer.service else []) if b.verdict is not None]
    cache = cluster.cache
    return judge(verdicts, world(cluster), cache.enforcement(), pod_nodes(cluster), cache.in_cluster_ranges())


def matrix_marks(cluster: Cluster, m: Matrix, among: Collection[str] | None = None) -> dict[tuple[str, str], Words]:
    """The matrix's cells whose answer does not hold on this cluster, each with why: with policies
    disabled every denied cell; else the cells from or to a pod on a node where policies are not
    enforced, each decided again and judged as one Connectivity check is. ``among``: only the
    cells between these pods (the part of the matrix shown)."""
    found = cluster.cache.enforcement()
    if found.state == "disabled":
        why = Words(DISABLED)
        return {(src, dst): why for src, row in m.rows() for dst, ok in zip(m.pods, row, strict=True) if not ok}
    nodes = pod_nodes(cluster)
    pods = m.pods if among is None else [ref for ref in m.pods if ref in among]
    open_ends = unenforced_pods(found, {ref: nodes[ref] for ref in pods if ref in nodes})
    if not open_ends:
        return {}
    w = world(cluster)
    marks: dict[tuple[str, str], Words] = {}
    for src in pods:
        for dst in pods:
            if src == dst or (src not in open_ends and dst not in open_ends):
                continue
            verdict = _explain(w, Endpoint(pod=w.pods[src]), Endpoint(pod=w.pods[dst]), m.port, m.protocol)
            held = judge([verdict], w, found, nodes)
            if held.holds is False:
                marks[(src, dst)] = held.notes[0]
    return marks


def review_note(cluster: Cluster, pods: list[Pod]) -> Words | None:
    """For a policy's review: whether it does not hold for some of the pods it selects."""
    nodes = pod_nodes(cluster)
    return selected_unenforced(cluster.cache.enforcement(), {p.ref: nodes[p.ref] for p in pods if p.ref in nodes})


def namespace_pods(cluster: Cluster, namespace: str | None) -> list[Pod]:
    """The pods of a namespace (every pod with None), sorted by namespace and name."""
    return [p for p in world(cluster).sorted_pods() if namespace is None or p.namespace == namespace]


def matrix(cluster: Cluster, namespace: str | None, port: int | str, protocol: str = "TCP") -> Matrix:
    """Who may connect to whom among a namespace's pods (all pods with None) on one port."""
    w = world(cluster)
    return _matrix(w, port, protocol, namespace_pods(cluster, namespace))


def selected_pods(cluster: Cluster, policy: NetworkPolicy) -> list[Pod]:
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


# (the namespaces a peer names: the policy's own, all, by labels) → (all pods, pods by labels)
_PEER_TEXTS = {
    "own": (N_("all pods in namespace {namespace}"), N_("pods matching {pods} in namespace {namespace}")),
    "all": (N_("all pods in all namespaces"), N_("pods matching {pods} in all namespaces")),
    "labels": (
        N_("all pods in namespaces matching {namespaces}"),
        N_("pods matching {pods} in namespaces matching {namespaces}"),
    ),
}


def peer_words(peer: PeerMatcher, policy_namespace: str) -> Words:
    """``PeerMatcher.describe`` as translatable sentences (the same English)."""
    if peer.block is not None:
        if peer.block.excepts:
            return Words("ipBlock {cidr} except {excepts}", cidr=peer.block.cidr, excepts=", ".join(peer.block.excepts))
        return Words("ipBlock {cidr}", cidr=peer.block.cidr)
    if peer.empty:
        return Words("an empty peer (matches nothing)")
    which = "own" if peer.namespaces is None else "labels" if peer.namespaces else "all"
    everyone, some = _PEER_TEXTS[which]
    params = {"namespace": policy_namespace, "namespaces": format_requirements(peer.namespaces or ())}
    if peer.pods:
        params["pods"] = format_requirements(peer.pods)
    template = some if peer.pods else everyone
    return Words(template, **{k: v for k, v in params.items() if "{" + k + "}" in template})


def port_words(port: PortMatcher) -> str:
    """``PortMatcher.describe``: "TCP/80" as it is, "TCP (all ports)" translatable."""
    if port.port is None:
        return Words("{protocol} (all ports)", protocol=port.protocol)
    return port.describe()


def _peer_pods(w: World, cp: CompiledPolicy, peer: PeerMatcher) -> PeerPods:
    pods = [p for p in w.sorted_pods() if peer_matches(w, cp.namespace, peer, Endpoint(pod=p))]
    text = peer_words(peer, cp.namespace)
    if peer.block is not None:
        return PeerPods(peer.index, text, peer.block.cidr, peer.block.excepts, _group(pods))
    return PeerPods(peer.index, text, pods=_group(pods))


def resolved_peers(cluster: Cluster, policy: NetworkPolicy) -> dict[str, list[RulePeers] | None]:
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
                everyone = Words("any source") if direction == INGRESS else Words("any destination")
                peers = [PeerPods(None, everyone, pods=_group(w.sorted_pods()))]
            else:
                peers = [_peer_pods(w, cp, peer) for peer in rule.peers]
            ports: list[str] = [port_words(pm) for pm in rule.ports] if rule.ports is not None else [Words("all ports")]
            resolved.append(RulePeers(direction, rule.index, peers, ports))
        out[direction] = resolved
    return out


def unprotected_after_delete(cluster: Cluster, policy: NetworkPolicy) -> dict[str, list[Pod]]:
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


def policies_selecting(cluster: Cluster, namespace: str, labels: Mapping[str, str]) -> list[CompiledPolicy]:
    """The policies of a namespace whose podSelector matches pods carrying ``labels``."""
    return [cp for cp in world(cluster).by_namespace.get(namespace, ()) if requirements_match(cp.selector, labels)]
