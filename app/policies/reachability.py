"""Reachability under Kubernetes NetworkPolicies, with a plain-English explanation.

The rules (networking.k8s.io/v1, as upstream's e2e reachability model checks them):

- A pod selected by no policy of a direction (per the policy's defaulted policyTypes) is
  unrestricted in that direction; once selected, only what some rule of some selecting policy
  allows gets through. Rules OR; peers of a rule OR; ports of a rule OR.
- A peer with a namespaceSelector and a podSelector matches pods matching both; a podSelector
  alone means the policy's own namespace; a namespaceSelector alone means every pod there.
- An ipBlock matches addresses in ``cidr`` and not in ``except``; it matches pods by their podIP
  too (a pod without podIP matches no ipBlock).
- Empty or missing ports mean every port; a port's protocol must match; ``endPort`` makes a
  range; a named port is resolved on the destination pod's container ports and never matches an
  external destination.
- A connection is allowed when the source's egress and the destination's ingress both allow it;
  an external IP has no policies of its own.

``World`` is built once (policies compiled and indexed by namespace); ``explain`` decides one
connection; ``matrix`` (in ``app.policies.matrix``) decides every pod pair at once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from app.errors import BadRequest, NotFound
from app.policies.documents import Documents, Namespace, Pod
from app.policies.model import NetworkPolicy, defaulted
from app.policies.selectors import Requirement, format_requirements, requirements, requirements_match
from app.policies.text import parse_port

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
INGRESS = "Ingress"
EGRESS = "Egress"


@lru_cache(maxsize=65536)  # pure, its addresses immutable: pod IPs are read over and over
def parse_ip(text: str | None) -> IPAddress | None:
    if not text:
        return None
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


@lru_cache(maxsize=65536)  # pure, and its networks are immutable: the same CIDRs are read over and over
def _network(text: str) -> IPNetwork | None:
    text = text.strip()
    try:
        return ipaddress.ip_network(text, strict=False)  # bits set beyond the prefix: read leniently
    except ValueError:
        pass
    # Read like ParseCIDRSloppy, IPv4 octets and prefixes with leading zeros as decimal: since v1.36
    # the API server refuses such CIDRs in new objects, but a policy stored earlier (or by an older
    # cluster) may hold them, and an update may keep them.
    addr, _, prefix = text.partition("/")
    octets = addr.split(".")
    if len(octets) == 4 and all(o.isdigit() for o in octets) and prefix.isdigit():
        try:
            return ipaddress.ip_network(
                f"{'.'.join(str(int(o)) for o in octets)}/{int(prefix)}", strict=False
            )
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class IPBlockMatcher:
    """An ipBlock: ``cidr`` minus each ``except``; an unparsable cidr matches nothing."""

    cidr: str
    excepts: tuple[str, ...] = ()
    _net: IPNetwork | None = field(init=False, compare=False, repr=False, default=None)
    _except_nets: tuple[IPNetwork, ...] = field(init=False, compare=False, repr=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "_net", _network(self.cidr))
        nets = tuple(n for n in (_network(e) for e in self.excepts) if n is not None)
        object.__setattr__(self, "_except_nets", nets)

    def contains(self, ip: IPAddress | None) -> bool:
        net = self._net
        if ip is None or net is None or ip.version != net.version or ip not in net:
            return False
        return not any(ip.version == e.version and ip in e for e in self._except_nets)

    def describe(self) -> str:
        if self.excepts:
            return f"ipBlock {self.cidr} except {', '.join(self.excepts)}"
        return f"ipBlock {self.cidr}"


@dataclass(frozen=True)
class PeerMatcher:
    """One peer of a rule. ``namespaces`` None: the policy's namespace; ``pods`` None: every pod."""

    index: int
    namespaces: tuple[Requirement, ...] | None = None
    pods: tuple[Requirement, ...] | None = None
    block: IPBlockMatcher | None = None
    empty: bool = False  # a peer naming nothing (invalid upstream) matches nothing

    def describe(self, policy_ns: str) -> str:
        if self.block is not None:
            return self.block.describe()
        if self.empty:
            return "an empty peer (matches nothing)"
        pods = "all pods" if not self.pods else f"pods matching {format_requirements(self.pods)}"
        if self.namespaces is None:
            return f"{pods} in namespace {policy_ns}"
        if not self.namespaces:
            return f"{pods} in all namespaces"
        return f"{pods} in namespaces matching {format_requirements(self.namespaces)}"


@dataclass(frozen=True)
class PortMatcher:
    """One port row: protocol (defaulted TCP), a number or a name or nothing (every port), endPort."""

    protocol: str
    port: int | str | None = None
    end_port: int | None = None

    def matches(
        self, protocol: str, number: int | None, dst_ports: Mapping[str, tuple[int, str]] | None
    ) -> bool:
        """Whether a connection to ``number``/``protocol`` matches; ``dst_ports`` are the destination
        pod's named ports (None for an external destination)."""
        if number is None or self.protocol != protocol:
            return False
        if self.port is None:
            return True
        if isinstance(self.port, str):
            return dst_ports is not None and dst_ports.get(self.port) == (number, protocol)
        if self.end_port is not None:
            return self.port <= number <= self.end_port
        return number == self.port

    def describe(self) -> str:
        if self.port is None:
            return f"{self.protocol} (all ports)"
        if self.end_port is not None:
            return f"{self.protocol}/{self.port}-{self.end_port}"
        return f"{self.protocol}/{self.port}"


@dataclass(frozen=True)
class RuleMatcher:
    """An ingress or egress rule; ``peers`` None: every peer; ``ports`` None: every port."""

    index: int
    peers: tuple[PeerMatcher, ...] | None
    ports: tuple[PortMatcher, ...] | None


@dataclass(frozen=True)
class CompiledPolicy:
    """A defaulted NetworkPolicy ready for matching. ``ingress``/``egress`` are None when the
    policy does not affect that direction (per its policyTypes)."""

    namespace: str
    name: str
    selector: tuple[Requirement, ...]
    ingress: tuple[RuleMatcher, ...] | None
    egress: tuple[RuleMatcher, ...] | None

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def rules(self, direction: str) -> tuple[RuleMatcher, ...] | None:
        return self.ingress if direction == INGRESS else self.egress

    def selects(self, pod: Pod) -> bool:
        return pod.namespace == self.namespace and requirements_match(self.selector, pod.labels)


def compile_policy(policy: NetworkPolicy) -> CompiledPolicy:
    p = defaulted(policy)  # read only
    types = p.spec.policy_types or []

    def peers(items: list[Any] | None) -> tuple[PeerMatcher, ...] | None:
        if not items:
            return None
        out = []
        for i, peer in enumerate(items):
            if peer.ip_block is not None:
                block = IPBlockMatcher(peer.ip_block.cidr or "", tuple(peer.ip_block.except_ or ()))
                out.append(PeerMatcher(i, block=block))
            elif peer.pod_selector is None and peer.namespace_selector is None:
                out.append(PeerMatcher(i, empty=True))
            else:
                out.append(
                    PeerMatcher(i, requirements(peer.namespace_selector), requirements(peer.pod_selector))
                )
        return tuple(out)

    def ports(items: list[Any] | None) -> tuple[PortMatcher, ...] | None:
        if not items:
            return None
        return tuple(PortMatcher(pt.protocol or "TCP", pt.port, pt.end_port) for pt in items)

    ingress = None
    if "Ingress" in types:
        ingress = tuple(
            RuleMatcher(i, peers(r.from_), ports(r.ports)) for i, r in enumerate(p.spec.ingress or [])
        )
    egress = None
    if "Egress" in types:
        egress = tuple(RuleMatcher(i, peers(r.to), ports(r.ports)) for i, r in enumerate(p.spec.egress or []))
    return CompiledPolicy(
        namespace=p.namespace or "default",
        name=p.name,
        selector=requirements(p.spec.pod_selector) or (),
        ingress=ingress,
        egress=egress,
    )


# World's cached properties read from its pods alone: shared by a World with other policies.
_POD_INDEXES = ("_sorted_pods", "_by_namespace_pods", "_by_ip")


class World:
    """Namespaces, Pods and NetworkPolicies, indexed once for repeated questions.

    A pod's namespace that is not listed is assumed to exist with only its name label."""

    def __init__(
        self, namespaces: Iterable[Namespace], pods: Iterable[Pod], policies: Iterable[NetworkPolicy]
    ) -> None:
        self.namespaces: dict[str, Namespace] = {ns.name: ns for ns in namespaces}
        self.pods: dict[str, Pod] = {}
        for pod in pods:
            self.pods[pod.ref] = pod
            if pod.namespace not in self.namespaces:
                self.namespaces[pod.namespace] = Namespace(pod.namespace)
        # What other modules derive from the pods (and namespaces) alone, by a name of theirs:
        # shared by the Worlds ``with_policies`` makes, as the pods are.
        self.pod_memo: dict[str, Any] = {}
        self.policies: list[CompiledPolicy] = [compile_policy(p) for p in policies]
        self.by_namespace: dict[str, list[CompiledPolicy]] = {}
        for cp in self.policies:
            self.by_namespace.setdefault(cp.namespace, []).append(cp)

    @classmethod
    def from_documents(cls, docs: Documents) -> World:
        return cls(docs.namespaces, docs.pods, docs.policies())

    def with_policies(self, policies: Iterable[CompiledPolicy]) -> World:
        """The same namespaces and pods under other (already compiled) policies."""
        out = World((), (), ())
        # shared, not copied: a World's namespaces and pods are not changed once it is built
        out.namespaces, out.pods, out.pod_memo = self.namespaces, self.pods, self.pod_memo
        for index in _POD_INDEXES:  # what only the pods decide is indexed already (10,000 pods: ms)
            if index in self.__dict__:
                out.__dict__[index] = self.__dict__[index]
        out.policies = list(policies)
        for cp in out.policies:
            out.by_namespace.setdefault(cp.namespace, []).append(cp)
        return out

    def namespace_labels(self, name: str) -> Mapping[str, str]:
        ns = self.namespaces.get(name)
        return ns.labels if ns is not None else Namespace(name).labels

    def sorted_pods(self) -> list[Pod]:
        return list(self._sorted_pods)

    @cached_property
    def _sorted_pods(self) -> tuple[Pod, ...]:
        return tuple(sorted(self.pods.values(), key=lambda p: (p.namespace, p.name)))

    @cached_property
    def _by_namespace_pods(self) -> dict[str, list[Pod]]:
        out: dict[str, list[Pod]] = {}
        for pod in self.pods.values():
            out.setdefault(pod.namespace, []).append(pod)
        return out

    def namespace_pods(self, namespace: str) -> list[Pod]:
        """The pods of one namespace (indexed once per World; not to be changed)."""
        return self._by_namespace_pods.get(namespace, [])

    @cached_property
    def _by_ip(self) -> dict[IPAddress, list[Pod]]:
        out: dict[IPAddress, list[Pod]] = {}
        for pod in self.sorted_pods():
            ip = parse_ip(pod.pod_ip)
            if ip is not None:
                out.setdefault(ip, []).append(pod)
        return out

    def pods_at(self, ip: IPAddress) -> list[Pod]:
        """The pods whose podIP is ``ip`` (several only for host-network pods, which share their
        node's address)."""
        return list(self._by_ip.get(ip, ()))

    def selecting(self, pod: Pod, direction: str) -> list[CompiledPolicy]:
        """The policies that select ``pod`` and affect ``direction``."""
        return [
            cp
            for cp in self.by_namespace.get(pod.namespace, ())
            if cp.rules(direction) is not None and requirements_match(cp.selector, pod.labels)
        ]


@dataclass(frozen=True)
class Endpoint:
    """One side of a connection: a pod, or an external IP address."""

    pod: Pod | None = None
    ip: str | None = None

    @property
    def ref(self) -> str:
        return self.pod.ref if self.pod is not None else str(self.ip)

    @property
    def address(self) -> IPAddress | None:
        return parse_ip(self.pod.pod_ip if self.pod is not None else self.ip)

    @property
    def kind(self) -> str:
        return "pod" if self.pod is not None else "ip"


def parse_ref(world: World, text: str) -> Endpoint:
    """``ns/pod`` (or ``pod``, meaning ``default/pod``) names a pod of the world; an address is external."""
    text = text.strip()
    ip = parse_ip(text)
    if ip is not None:
        return Endpoint(ip=str(ip))
    if not text or text.count("/") > 1:
        raise BadRequest(f"not a pod reference (ns/pod) or an IP address: {text!r}")
    ref = text if "/" in text else f"default/{text}"
    pod = world.pods.get(ref)
    if pod is None:
        raise NotFound(f'pod "{ref}" not found')
    return Endpoint(pod=pod)


def peer_matches(world: World, policy_ns: str, peer: PeerMatcher, ep: Endpoint) -> bool:
    if peer.block is not None:
        return peer.block.contains(ep.address)
    if peer.empty or ep.pod is None:
        return False
    if peer.namespaces is None:
        if ep.pod.namespace != policy_ns:
            return False
    elif not requirements_match(peer.namespaces, world.namespace_labels(ep.pod.namespace)):
        return False
    return peer.pods is None or requirements_match(peer.pods, ep.pod.labels)


def resolve_port(port: int | str, protocol: str, dst: Endpoint) -> int | None:
    """The connection's port number: a name is looked up on the destination pod (with its protocol)."""
    port = parse_port(port)
    if isinstance(port, int):
        return port
    if dst.pod is None:
        return None
    found = dst.pod.named_ports.get(port)
    return found[0] if found is not None and found[1] == protocol else None


@dataclass(frozen=True)
class RuleMatch:
    """A rule that allows the connection: which policy, which rule (0-based), which peer and port row."""

    policy: str
    direction: str
    rule: int
    peer: str
    port: str

    def sentence(self, other: str, conn: str) -> str:
        kind = self.direction.lower()
        path = f"spec.{kind}[{self.rule}]"
        return (
            f"{self.policy} {kind} rule {self.rule + 1} ({path}) allows {other} on {conn}: "
            f"peer {self.peer}, port {self.port}."
        )

    def as_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "rule": self.rule, "peer": self.peer, "port": self.port}


@dataclass
class DirectionVerdict:
    """The source's egress or the destination's ingress."""

    direction: str
    endpoint: str  # the side whose policies are evaluated
    other: str  # the peer it talks to
    applicable: bool = True  # False for an external endpoint: it has no policies
    selecting: list[str] = field(default_factory=list)
    allowing: list[RuleMatch] = field(default_factory=list)

    @property
    def isolated(self) -> bool:
        return bool(self.selecting)

    @property
    def allowed(self) -> bool:
        return not self.applicable or not self.selecting or bool(self.allowing)

    def lines(self, conn: str) -> list[str]:
        kind = self.direction.lower()
        if not self.applicable:
            return [
                f"{self.direction}: {self.endpoint} is outside the cluster; no NetworkPolicy applies to it."
            ]
        if not self.selecting:
            return [
                f"{self.direction}: no NetworkPolicy selects {self.endpoint} for {kind}, so its {kind} "
                "is unrestricted."
            ]
        out = [f"{self.direction}: {self.endpoint} is selected for {kind} by {', '.join(self.selecting)}."]
        if self.allowing:
            out.extend(m.sentence(self.other, conn) for m in self.allowing)
        else:
            policies = ", ".join(self.selecting)
            out.append(f"No {kind} rule of {policies} allows {self.other} on {conn}, so it is denied.")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "endpoint": self.endpoint,
            "applicable": self.applicable,
            "isolated": self.isolated,
            "allowed": self.allowed,
            "selectedBy": list(self.selecting),
            "allowedBy": [m.as_dict() for m in self.allowing],
        }


@dataclass
class Verdict:
    """Whether ``src`` may open a connection to ``dst`` on ``protocol``/``port``, and why."""

    src: str
    dst: str
    port: int | str
    protocol: str
    resolved_port: int | None
    egress: DirectionVerdict
    ingress: DirectionVerdict
    # A pod's connection to itself: NetworkPolicies cannot block it (Kubernetes documentation).
    to_itself: bool = False

    @property
    def allowed(self) -> bool:
        if self.resolved_port is None:
            return False
        return self.to_itself or (self.egress.allowed and self.ingress.allowed)

    @property
    def connection(self) -> str:
        if isinstance(self.port, str) and self.resolved_port is not None:
            return f"{self.protocol}/{self.resolved_port} (port {self.port})"
        return f"{self.protocol}/{self.port}"

    def lines(self) -> list[str]:
        out = [f"{self.src} -> {self.dst} on {self.connection}: {'ALLOWED' if self.allowed else 'DENIED'}"]
        if self.resolved_port is None:
            out.append(
                f"{self.dst} has no {self.protocol} port named {self.port!r}; there is nothing to connect to."
            )
            return out
        if self.to_itself:
            out.append("A pod cannot block access to itself: NetworkPolicies do not apply to a pod's own connections.")
            return out
        out.extend(self.egress.lines(self.connection))
        out.extend(self.ingress.lines(self.connection))
        if not self.allowed:
            denied = [d.direction.lower() for d in (self.egress, self.ingress) if not d.allowed]
            out.append(f"Denied by {' and '.join(denied)}.")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.src,
            "to": self.dst,
            "port": self.port,
            "resolvedPort": self.resolved_port,
            "protocol": self.protocol,
            "allowed": self.allowed,
            "egress": self.egress.as_dict(),
            "ingress": self.ingress.as_dict(),
            "explanation": self.lines(),
        }


def _direction(
    world: World,
    direction: str,
    subject: Endpoint,
    other: Endpoint,
    number: int | None,
    protocol: str,
    dst: Endpoint,
) -> DirectionVerdict:
    verdict = DirectionVerdict(direction, subject.ref, other.ref)
    if subject.pod is None:
        verdict.applicable = False
        return verdict
    dst_ports = dst.pod.named_ports if dst.pod is not None else None
    for cp in world.selecting(subject.pod, direction):
        verdict.selecting.append(cp.ref)
        for rule in cp.rules(direction) or ():
            peer = _first_peer(world, cp.namespace, rule, other)
            if peer is None:
                continue
            port = _first_port(rule, protocol, number, dst_ports)
            if port is None:
                continue
            verdict.allowing.append(RuleMatch(cp.ref, direction, rule.index, peer, port))
    return verdict


def _first_peer(world: World, policy_ns: str, rule: RuleMatcher, ep: Endpoint) -> str | None:
    if rule.peers is None:
        return "any (the rule names no peers)"
    for peer in rule.peers:
        if peer_matches(world, policy_ns, peer, ep):
            return f"[{peer.index}] {peer.describe(policy_ns)}"
    return None


def _first_port(
    rule: RuleMatcher, protocol: str, number: int | None, dst_ports: Mapping[str, tuple[int, str]] | None
) -> str | None:
    if number is None:
        return None
    if rule.ports is None:
        return "any (the rule names no ports)"
    for i, pm in enumerate(rule.ports):
        if pm.matches(protocol, number, dst_ports):
            return f"[{i}] {pm.describe()}"
    return None


def explain(world: World, src: Endpoint, dst: Endpoint, port: int | str, protocol: str = "TCP") -> Verdict:
    """Decide one connection and say why. Raises ``BadRequest`` when neither side is a pod."""
    if src.pod is None and dst.pod is None:
        raise BadRequest("at least one side of the connection must be a pod")
    protocol = protocol.upper()
    number = resolve_port(port, protocol, dst)
    return Verdict(
        src=src.ref,
        dst=dst.ref,
        port=port,
        protocol=protocol,
        resolved_port=number,
        egress=_direction(world, EGRESS, src, dst, number, protocol, dst),
        ingress=_direction(world, INGRESS, dst, src, number, protocol, dst),
        to_itself=src.pod is not None and dst.pod is not None and src.ref == dst.ref,
    )

