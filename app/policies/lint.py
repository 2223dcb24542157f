"""Lint: what is legal in a NetworkPolicy but likely a mistake, each finding with a stable id, a
sentence in ``Words`` (so a page says it in the user's language) and a link to what to do.

Pure: the caller hands in the policy, the ``World`` (pods, namespaces and the cluster's policies),
the Services and, when known, how the cluster enforces policies and its in-cluster address ranges.
Rules that look at pods run only when the World knows pods (``pods_known``), since offline input
may hold none.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from app.policies.documents import Pod, classify
from app.policies.model import NetworkPolicy
from app.policies.reachability import (
    EGRESS,
    INGRESS,
    CompiledPolicy,
    Endpoint,
    IPBlockMatcher,
    IPNetwork,
    PeerMatcher,
    PortMatcher,
    RuleMatcher,
    World,
    _network,
    compile_policy,
    parse_ip,
    peer_matches,
)
from app.policies.selectors import requirements_match
from app.policies.services import Service
from app.policies.words import N_, Words

K8S_DOCS = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"
ACK_DOCS = "https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/use-network-policies"
HEALTH_CHECK_RANGE = ipaddress.ip_network("100.64.0.0/10")
RECOMMENDED_MAX_POLICIES = 100
DNS_PORT = 53
DNS_NAMESPACE = "kube-system"


@dataclass(frozen=True)
class Rule:
    """A lint rule: its stable id, and where to read what to do."""

    id: str
    help: str


SELECTS_NO_PODS = Rule("selects-no-pods", f"{K8S_DOCS}#networkpolicy-resource")
PEER_MATCHES_NOTHING = Rule("peer-matches-nothing", f"{K8S_DOCS}#behavior-of-to-and-from-selectors")
EGRESS_WITHOUT_DNS = Rule("egress-without-dns", f"{K8S_DOCS}#targeting-a-namespace-by-its-name")
IPBLOCK_IN_CLUSTER = Rule("ipblock-in-cluster", "https://github.com/AliyunContainerService/terway/issues/904")
LOADBALANCER_HEALTH_CHECK = Rule("loadbalancer-health-check", ACK_DOCS)
DUPLICATE_RULE = Rule("duplicate-rule", f"{K8S_DOCS}#networkpolicy-resource")
SHADOWED_RULE = Rule("shadowed-rule", f"{K8S_DOCS}#networkpolicy-resource")
UNDEFINED_NAMED_PORT = Rule("undefined-named-port", f"{K8S_DOCS}#targeting-a-range-of-ports")
TOO_MANY_POLICIES = Rule("too-many-policies", ACK_DOCS)
RULES = (
    SELECTS_NO_PODS,
    PEER_MATCHES_NOTHING,
    EGRESS_WITHOUT_DNS,
    IPBLOCK_IN_CLUSTER,
    LOADBALANCER_HEALTH_CHECK,
    DUPLICATE_RULE,
    SHADOWED_RULE,
    UNDEFINED_NAMED_PORT,
    TOO_MANY_POLICIES,
)

_DIRECTION_WORD = {INGRESS: N_("Ingress"), EGRESS: N_("Egress")}
_PEERS_KEY = {INGRESS: "from", EGRESS: "to"}


@dataclass(frozen=True)
class Lint:
    """One finding. ``field`` is the path it is about (``spec.ingress[0].from[1]``), "" for the policy."""

    rule: Rule
    message: Words
    field: str = ""

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def help(self) -> str:
        return self.rule.help

    def as_dict(self) -> dict[str, Any]:
        """The API's and the CLI's shape."""
        return {"id": self.id, "message": str(self.message), "field": self.field, "help": self.help}


def lint(
    policy: NetworkPolicy,
    world: World,
    *,
    services: Iterable[Service] = (),
    implementation: str | None = None,
    ranges: Sequence[str] = (),
    pods_known: bool = True,
) -> list[Lint]:
    """The findings on ``policy`` (as it would be: the World's policy of the same name is replaced).

    ``implementation`` is the enforcement's (``"eBPF"`` or ``"iptables"``, as
    ``app.cluster.terway.Enforcement.implementation``; None: unknown); ``ranges`` the in-cluster
    CIDRs (``app.cluster.terway.in_cluster_ranges``)."""
    cp = compile_policy(policy)
    selected = [p for p in world.namespace_pods(cp.namespace) if cp.selects(p)] if pods_known else []
    found: list[Lint] = []
    if pods_known and not selected:
        found.append(
            Lint(
                SELECTS_NO_PODS,
                Words(N_("The policy selects no pods in namespace {namespace}."), namespace=cp.namespace),
                "spec.podSelector",
            )
        )
    for direction in (INGRESS, EGRESS):
        rules = cp.rules(direction) or ()
        if pods_known:
            found += _peers_matching_nothing(world, cp, direction, rules)
            found += _undefined_named_ports(world, cp, direction, rules, selected)
        found += _covered_rules(direction, rules)
        if implementation == "eBPF":
            found += _in_cluster_blocks(world, direction, rules, ranges, services)
    if cp.egress is not None and not _allows_dns(world, cp):
        found.append(
            Lint(
                EGRESS_WITHOUT_DNS,
                Words(
                    N_(
                        "Egress is restricted but DNS is not allowed: "
                        "allow UDP and TCP port 53 to namespace kube-system."
                    )
                ),
                "spec.egress",
            )
        )
    if cp.ingress is not None and pods_known:
        found += _load_balancers(cp, selected, services)
    stored = any(other.name == cp.name for other in world.by_namespace.get(cp.namespace, ()))
    count = len(world.policies) + (not stored)
    if count > RECOMMENDED_MAX_POLICIES:
        found.append(
            Lint(
                TOO_MANY_POLICIES,
                Words(
                    N_("The cluster would hold {count} NetworkPolicies; ACK recommends at most {max}."),
                    count=str(count),
                    max=str(RECOMMENDED_MAX_POLICIES),
                ),
            )
        )
    return found


def _peer_pods(world: World, cp: CompiledPolicy, peer: PeerMatcher) -> Iterator[Pod]:
    """The pods ``peer`` (not an ipBlock) matches: only those of the namespaces it names are read."""
    if peer.namespaces is None:
        names: Iterable[str] = (cp.namespace,)
    else:
        names = [ns for ns in world.namespaces if requirements_match(peer.namespaces, world.namespace_labels(ns))]
    for ns in names:
        yield from (p for p in world.namespace_pods(ns) if peer_matches(world, cp.namespace, peer, Endpoint(pod=p)))


def _peer_field(direction: str, rule: RuleMatcher, peer: PeerMatcher | None = None) -> str:
    path = f"spec.{direction.lower()}[{rule.index}]"
    return path if peer is None else f"{path}.{_PEERS_KEY[direction]}[{peer.index}]"


def _peers_matching_nothing(
    world: World, cp: CompiledPolicy, direction: str, rules: Iterable[RuleMatcher]
) -> list[Lint]:
    out = []
    for rule in rules:
        for peer in rule.peers or ():
            if peer.block is not None:
                continue
            if peer.empty or next(_peer_pods(world, cp, peer), None) is None:
                out.append(
                    Lint(
                        PEER_MATCHES_NOTHING,
                        Words(N_("This peer matches no pod now: {peer}."), peer=peer.describe(cp.namespace)),
                        _peer_field(direction, rule, peer),
                    )
                )
    return out


def _undefined_named_ports(
    world: World, cp: CompiledPolicy, direction: str, rules: Iterable[RuleMatcher], selected: list[Pod]
) -> list[Lint]:
    """A named port is looked up on the destination: the selected pods for ingress, the peers' pods
    for egress."""
    out = []
    for rule in rules:
        if not any(isinstance(port.port, str) for port in rule.ports or ()):
            continue  # the pods are read only for a named port
        if direction == INGRESS:
            pods = selected
        elif rule.peers is None:
            pods = list(world.pods.values())
        else:
            pods = list({p.ref: p for peer in rule.peers for p in _egress_peer_pods(world, cp, peer)}.values())
        if not pods:
            continue
        for i, port in enumerate(rule.ports or ()):
            if isinstance(port.port, str) and not any(
                p.named_ports.get(port.port, (0, ""))[1] == port.protocol for p in pods
            ):
                where = Words(N_("the selected pods")) if direction == INGRESS else Words(N_("the destination pods"))
                out.append(
                    Lint(
                        UNDEFINED_NAMED_PORT,
                        Words(
                            N_("No pod among {where} defines the named port {port} ({protocol})."),
                            where=where,
                            port=port.port,
                            protocol=port.protocol,
                        ),
                        f"{_peer_field(direction, rule)}.ports[{i}]",
                    )
                )
    return out


def _egress_peer_pods(world: World, cp: CompiledPolicy, peer: PeerMatcher) -> Iterable[Pod]:
    if peer.block is not None:
        return [p for p in world.pods.values() if peer.block.contains(parse_ip(p.pod_ip))]
    return () if peer.empty else _peer_pods(world, cp, peer)


def _within(inner: IPNetwork, outer: IPNetwork) -> bool:
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def _networks(texts: Iterable[str]) -> list[IPNetwork]:
    return [n for n in (_network(t) for t in texts) if n is not None]


def _block_covers(outer: IPBlockMatcher, inner: IPBlockMatcher) -> bool:
    a, b = _network(outer.cidr), _network(inner.cidr)
    if a is None or b is None or not _within(b, a):
        return False
    inner_excepts = _networks(inner.excepts)
    return not any(
        e.version == b.version and e.overlaps(b) and not any(_within(e, x) for x in inner_excepts)
        for e in _networks(outer.excepts)
    )


def _peer_covers(outer: PeerMatcher, inner: PeerMatcher) -> bool:
    if outer.block is not None or inner.block is not None:
        return outer.block is not None and inner.block is not None and _block_covers(outer.block, inner.block)
    if outer.empty or inner.empty:
        return inner.empty
    return (
        (outer.namespaces, outer.pods) == (inner.namespaces, inner.pods)
        or (outer.namespaces == inner.namespaces and outer.pods is None)
        or (outer.namespaces == () and outer.pods in (None, inner.pods))
    )


def _port_covers(outer: PortMatcher, inner: PortMatcher) -> bool:
    if outer.protocol != inner.protocol:
        return False
    if outer.port is None:
        return True
    if isinstance(outer.port, str) or isinstance(inner.port, str) or inner.port is None:
        return outer.port == inner.port and outer.end_port is None and inner.end_port is None
    low, high = outer.port, outer.end_port or outer.port
    return low <= inner.port and (inner.end_port or inner.port) <= high


def _rule_covers(outer: RuleMatcher, inner: RuleMatcher) -> bool:
    peers = outer.peers is None or (
        inner.peers is not None and all(any(_peer_covers(o, i) for o in outer.peers) for i in inner.peers)
    )
    ports = outer.ports is None or (
        inner.ports is not None and all(any(_port_covers(o, i) for o in outer.ports) for i in inner.ports)
    )
    return peers and ports


def _covered_rules(direction: str, rules: Sequence[RuleMatcher]) -> list[Lint]:
    """A rule that another rule of the policy already allows: a duplicate when they allow the same
    (the later one is reported), shadowed when the other allows more."""
    out = []
    for rule in rules:
        for other in rules:
            if other is rule or not _rule_covers(other, rule):
                continue
            same = _rule_covers(rule, other)
            if same and other.index > rule.index:
                continue
            kind = DUPLICATE_RULE if same else SHADOWED_RULE
            template = (
                N_("This rule repeats {direction} rule {other}.")
                if same
                else N_("{direction} rule {other} already allows everything this rule allows.")
            )
            message = Words(template, direction=Words(_DIRECTION_WORD[direction]), other=str(other.index + 1))
            out.append(Lint(kind, message, _peer_field(direction, rule)))
            break
    return out


def _in_cluster_blocks(
    world: World, direction: str, rules: Iterable[RuleMatcher], ranges: Sequence[str], services: Iterable[Service]
) -> list[Lint]:
    rules = list(rules)
    if not any(peer.block is not None for rule in rules for peer in rule.peers or ()):
        return []  # most policies name no ipBlock: the addresses need not be read
    addresses = _addresses(world, tuple(ranges), tuple(s.cluster_ip for s in services if s.cluster_ip))
    out = []
    for rule in rules:
        for peer in rule.peers or ():
            block = peer.block
            net = _network(block.cidr) if block is not None else None
            if block is None or net is None:
                continue
            hit = addresses.first_in(net, block)
            if hit is not None:
                out.append(
                    Lint(
                        IPBLOCK_IN_CLUSTER,
                        Words(
                            N_(
                                "The ipBlock {cidr} covers in-cluster addresses ({range}), which an eBPF-enforcing "
                                "cluster never matches: select those pods with podSelector or namespaceSelector."
                            ),
                            cidr=block.cidr,
                            range=str(hit),
                        ),
                        _peer_field(direction, rule, peer),
                    )
                )
    return out


class _Addresses:
    """The in-cluster ranges then the pods' and Services' addresses, in this order, with the single
    addresses indexed by value: the first of them that an ipBlock covers is found by bisection, not
    by reading every pod's address."""

    def __init__(self, nets: list[IPNetwork]) -> None:
        self.nets = nets
        hosts: dict[int, list[tuple[int, int]]] = {}
        # ranges wider than one address: by start (those within a block) and as they are (those
        # holding a block are among its supernets)
        wide: dict[int, list[tuple[int, int]]] = {}
        self.wide_at: dict[tuple[int, int, int], list[int]] = {}
        for i, n in enumerate(nets):
            if n.num_addresses == 1:
                hosts.setdefault(n.version, []).append((int(n.network_address), i))
            else:
                wide.setdefault(n.version, []).append((int(n.network_address), i))
                self.wide_at.setdefault((n.version, int(n.network_address), n.prefixlen), []).append(i)
        self.wide_starts = {v: [x for x, _ in sorted(found)] for v, found in wide.items()}
        self.wide_positions = {v: [i for _, i in sorted(found)] for v, found in wide.items()}
        self.values = {v: [x for x, _ in sorted(found)] for v, found in hosts.items()}
        self.positions = {v: [i for _, i in sorted(found)] for v, found in hosts.items()}

    def first_in(self, net: IPNetwork, block: IPBlockMatcher) -> IPNetwork | None:
        """The first of the ranges and addresses that overlaps ``net`` and that no ``except`` of
        ``block`` holds whole."""
        values, positions = self.values.get(net.version, []), self.positions.get(net.version, [])
        low, high = _between(values, net)
        # the addresses in the block and in none of its excepts: the block's slice of the values
        # cut by the excepts' slices
        cuts = sorted(_between(values, e) for e in _networks(block.excepts) if e.version == net.version)
        hosts = []
        for start, stop in cuts:
            hosts += positions[low : min(start, high)]
            low = max(low, stop)
        hosts += positions[low:high]
        start, stop = _between(self.wide_starts.get(net.version, []), net)
        holding = (net.supernet(new_prefix=p) for p in range(net.prefixlen))
        overlapping = self.wide_positions.get(net.version, [])[start:stop] + [
            i for n in holding for i in self.wide_at.get((n.version, int(n.network_address), n.prefixlen), ())
        ]
        wide = [i for i in overlapping if not _excepted(block, self.nets[i])]
        first = min(min(hosts, default=len(self.nets)), min(wide, default=len(self.nets)))
        return self.nets[first] if first < len(self.nets) else None


def _between(values: list[int], net: IPNetwork) -> tuple[int, int]:
    """The slice of the sorted ``values`` that ``net`` holds."""
    return bisect_left(values, int(net.network_address)), bisect_right(values, int(net.broadcast_address))


# In each World's ``pod_memo`` (shared by Worlds with other policies and the same pods): the ranges
# and the Services' addresses the index was built with, and the index. The list page lints every
# policy of a namespace against one World; an edited policy makes a new World with the same pods.
_ADDRESSES = "lint.addresses"


def _addresses(world: World, ranges: tuple[str, ...], service_ips: tuple[str, ...]) -> _Addresses:
    key = (ranges, service_ips)
    hit = world.pod_memo.get(_ADDRESSES)
    if hit is None or hit[0] != key:
        pod_ips = [p.pod_ip for p in world.pods.values() if p.pod_ip]
        hit = (key, _Addresses(_networks(ranges) + _networks(pod_ips + [ip for ip in service_ips if ip != "None"])))
        world.pod_memo[_ADDRESSES] = hit
    return cast(_Addresses, hit[1])


def _excepted(block: IPBlockMatcher, net: IPNetwork) -> bool:
    return any(_within(net, e) for e in _networks(block.excepts))


def _allows_dns(world: World, cp: CompiledPolicy) -> bool:
    dns_ns = world.namespace_labels(DNS_NAMESPACE)
    dns_pods = world.namespace_pods(DNS_NAMESPACE)

    def to_dns(peer: PeerMatcher) -> bool:
        if peer.block is not None:
            net = _network(peer.block.cidr)
            return net is not None and net.prefixlen == 0 and not peer.block.excepts
        if peer.empty:
            return False
        if peer.namespaces is None:
            return cp.namespace == DNS_NAMESPACE
        return requirements_match(peer.namespaces, dns_ns)

    def port_53(port: PortMatcher, protocol: str) -> bool:
        if port.protocol != protocol:
            return False
        if isinstance(port.port, str):
            return any(p.named_ports.get(port.port) == (DNS_PORT, protocol) for p in dns_pods)
        return port.matches(protocol, DNS_PORT, None)

    def allows(protocol: str) -> bool:
        return any(
            (rule.peers is None or any(to_dns(peer) for peer in rule.peers))
            and (rule.ports is None or any(port_53(pt, protocol) for pt in rule.ports))
            for rule in cp.egress or ()
        )

    return allows("UDP") and allows("TCP")


def _load_balancers(cp: CompiledPolicy, selected: list[Pod], services: Iterable[Service]) -> list[Lint]:
    allowed = any(
        rule.peers is None
        or any(
            peer.block is not None
            and all(peer.block.contains(ip) for ip in (HEALTH_CHECK_RANGE[0], HEALTH_CHECK_RANGE[-1]))
            and not any(n.overlaps(HEALTH_CHECK_RANGE) for n in _networks(peer.block.excepts))
            for peer in rule.peers
        )
        for rule in cp.ingress or ()
    )
    if allowed:
        return []
    out = []
    for svc in services:
        if svc.type == "LoadBalancer" and any(svc.selects(p) for p in selected):
            out.append(
                Lint(
                    LOADBALANCER_HEALTH_CHECK,
                    Words(
                        N_(
                            "The pods of LoadBalancer Service {service} are protected for ingress, but "
                            "load-balancer health checks from {range} are not allowed."
                        ),
                        service=svc.name,
                        range=str(HEALTH_CHECK_RANGE),
                    ),
                    "spec.ingress",
                )
            )
    return out


def lint_offline(policies: Sequence[NetworkPolicy], objects: Iterable[Mapping[str, Any]]) -> list[list[Lint]]:
    """The findings on each of ``policies`` (in order), judged against each other and the Namespaces,
    Pods and Services among ``objects`` (other kinds are ignored); rules about pods run only when
    ``objects`` hold some. What ``validate --lint`` and ``POST /validate?lint=true`` answer."""
    objects = list(objects)
    docs = classify(objects)
    world = World(docs.namespaces, docs.pods, policies)
    services = [Service.from_dict(o) for o in objects if o.get("kind") == "Service"]
    return [lint(p, world, services=services, pods_known=bool(docs.pods)) for p in policies]
