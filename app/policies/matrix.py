"""The pod × pod reachability matrix for one port, computed per group of indistinguishable pods.

Pods that no selector in play can tell apart — same namespace (or, for a namespace holding no
policy, the same answer from every namespaceSelector), the same answer from every podSelector,
the same membership in every ipBlock, the same named ports in play — get the same row and column.
So the work is groups × policies plus a few bit operations per group pair, never pairs × policies:
each group's allowed peers are a bitset (a Python int) over groups (``netpol-console bench``,
app/cli/bench.py, times it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from app.policies.documents import Pod
from app.policies.reachability import (
    IPBlockMatcher,
    PeerMatcher,
    PortMatcher,
    RuleMatcher,
    World,
    parse_ip,
)
from app.policies.selectors import Requirement, requirements_match
from app.policies.text import parse_port


@dataclass
class Matrix:
    """Who may connect to whom on one port: ``allowed(src, dst)`` by ``ns/name``."""

    pods: list[str]
    port: int | str
    protocol: str
    group_count: int
    _group_of: dict[str, int]
    _egress: list[int]  # per source group: bitset of destination groups its egress allows
    _ingress: list[int]  # per destination group: bitset of source groups its ingress allows
    _reachable: int  # destination groups that have the port at all (a named port may be missing)
    _reach: list[int] | None = field(default=None, repr=False)

    def reach(self) -> list[int]:
        """Per source group: the bitset of destination groups another pod of which it may connect
        to (``self_allowed`` decides a pod with itself); computed once, by transposing ingress."""
        if self._reach is None:
            into = _transpose(self._ingress, self.group_count)
            self._reach = [out & inn & self._reachable for out, inn in zip(self._egress, into, strict=True)]
        return self._reach

    def reach_text(self, g: int) -> str:
        """Group ``g``'s ``reach`` as a string of "0" and "1", one character per destination group."""
        return format(self.reach()[g], "b").zfill(self.group_count)[::-1]

    def allowed(self, src: str, dst: str) -> bool:
        h = self._group_of[dst]
        if src == dst:
            return self.self_allowed(h)
        return self.group_allowed(self._group_of[src], h)

    def group(self, ref: str) -> int:
        """The index of the group of indistinguishable pods ``ref`` (``ns/name``) belongs to."""
        return self._group_of[ref]

    def group_allowed(self, g: int, h: int) -> bool:
        """Whether a pod of group ``g`` may connect to another pod of group ``h``."""
        if not (self._reachable >> h) & 1:
            return False
        return bool((self._egress[g] >> h) & 1 and (self._ingress[h] >> g) & 1)

    def self_allowed(self, g: int) -> bool:
        """Whether a pod of group ``g`` may connect to itself: always, when it has the port (a pod
        cannot block access to itself)."""
        return bool((self._reachable >> g) & 1)

    def rows(self) -> Iterator[tuple[str, list[bool]]]:
        columns = [self._group_of[dst] for dst in self.pods]
        pick = itemgetter(*columns) if len(columns) > 1 else lambda text: tuple(text[g] for g in columns)
        for i, src in enumerate(self.pods):
            g = self._group_of[src]
            row = [ch == "1" for ch in pick(self.reach_text(g))]
            row[i] = self.self_allowed(g)
            yield src, row

    def as_dict(self) -> dict[str, Any]:
        return {
            "pods": list(self.pods),
            "allowed": {src: dict(zip(self.pods, row, strict=True)) for src, row in self.rows()},
        }


class _Bits:
    """Interns keys to indexes."""

    def __init__(self) -> None:
        self.index: dict[Any, int] = {}

    def add(self, key: Any) -> int:
        return self.index.setdefault(key, len(self.index))


def _indexes(bits: int) -> Iterator[int]:
    """The indexes of the bits set in ``bits``, lowest first."""
    text = format(bits, "b")[::-1]
    i = text.find("1")
    while i >= 0:
        yield i
        i = text.find("1", i + 1)


def _transpose(columns: list[int], n: int) -> list[int]:
    """The n × n bit matrix given by columns (``columns[h]`` has bit ``g`` for row ``g``) given
    by rows. Work per distinct column value, over its set bits or, for a mostly full column, over
    its clear ones: few distinct values (policies shared by many groups) make it cheap."""
    everyone = (1 << n) - 1
    members: dict[int, int] = {}
    for h, column in enumerate(columns):
        members[column] = members.get(column, 0) | (1 << h)
    rows, missing, dense = [0] * n, [0] * n, 0
    for column, who in members.items():
        if column.bit_count() * 2 <= n:
            for g in _indexes(column):
                rows[g] |= who
        else:
            dense |= who
            for g in _indexes(everyone & ~column):
                missing[g] |= who
    return [row | (dense & ~gone) for row, gone in zip(rows, missing, strict=True)]


def _rules(world: World) -> Iterator[tuple[str, RuleMatcher]]:
    for cp in world.policies:
        for rule in (cp.ingress or ()) + (cp.egress or ()):
            yield cp.namespace, rule


def matrix(world: World, port: int | str, protocol: str = "TCP", pods: list[Pod] | None = None) -> Matrix:
    """The matrix over ``pods`` (default: every pod of the world), ordered by ``ns/name``."""
    protocol = protocol.upper()
    port = parse_port(port)
    pod_list = sorted(pods if pods is not None else world.pods.values(), key=lambda p: (p.namespace, p.name))

    # Everything in play that could tell two pods apart.
    pod_sels, ns_sels, blocks, names = _Bits(), _Bits(), _Bits(), set()
    for cp in world.policies:
        pod_sels.add(cp.selector)
    for _, rule in _rules(world):
        for peer in rule.peers or ():
            if peer.block is not None:
                blocks.add(peer.block)
            else:
                if peer.pods is not None:
                    pod_sels.add(peer.pods)
                if peer.namespaces is not None:
                    ns_sels.add(peer.namespaces)
        for pm in rule.ports or ():
            if isinstance(pm.port, str):
                names.add(pm.port)
    if isinstance(port, str):
        names.add(port)
    pod_sel_list: list[tuple[Requirement, ...]] = list(pod_sels.index)
    ns_sel_list: list[tuple[Requirement, ...]] = list(ns_sels.index)
    block_list: list[IPBlockMatcher] = list(blocks.index)
    name_list = sorted(names)

    # Label classes (answers of every podSelector) and namespace keys.
    label_classes: dict[frozenset[tuple[str, str]], int] = {}
    answer_classes: dict[tuple[bool, ...], int] = {}
    class_answers: list[tuple[bool, ...]] = []
    ns_answers: dict[str, tuple[bool, ...]] = {}
    ns_keys: dict[str, Any] = {}
    groups = _Bits()
    group_rep: list[Pod] = []
    group_of: dict[str, int] = {}
    ip_cache: dict[str | None, tuple[bool, ...]] = {}
    for pod in pod_list:
        labels_key = frozenset(pod.labels.items())
        cls = label_classes.get(labels_key)
        if cls is None:  # labels no podSelector tells apart (a zone, a hash) share a class
            answers = tuple(requirements_match(s, pod.labels) for s in pod_sel_list)
            cls = label_classes[labels_key] = answer_classes.setdefault(answers, len(class_answers))
            if cls == len(class_answers):
                class_answers.append(answers)
        if pod.namespace not in ns_keys:
            answers = tuple(requirements_match(s, world.namespace_labels(pod.namespace)) for s in ns_sel_list)
            ns_answers[pod.namespace] = answers
            ns_keys[pod.namespace] = (
                pod.namespace if pod.namespace in world.by_namespace else ("class", answers)
            )
        ip_sig = ip_cache.get(pod.pod_ip)
        if ip_sig is None:
            address = parse_ip(pod.pod_ip)
            ip_sig = ip_cache[pod.pod_ip] = tuple(b.contains(address) for b in block_list)
        port_sig = tuple(pod.named_ports.get(n) for n in name_list)
        g = groups.add((ns_keys[pod.namespace], cls, ip_sig, port_sig))
        if g == len(group_rep):
            group_rep.append(pod)
        group_of[pod.ref] = g
    keys = list(groups.index)
    n = len(keys)
    everyone = (1 << n) - 1

    def bits_where(pred: Any) -> int:
        out = 0
        for g in range(n):
            if pred(g):
                out |= 1 << g
        return out

    pod_sel_bits = {
        s: bits_where(lambda g, i=i: class_answers[keys[g][1]][i]) for i, s in enumerate(pod_sel_list)
    }
    ns_sel_bits = {
        s: bits_where(lambda g, i=i: ns_answers[group_rep[g].namespace][i]) for i, s in enumerate(ns_sel_list)
    }
    block_bits = {b: bits_where(lambda g, i=i: keys[g][2][i]) for i, b in enumerate(block_list)}
    ns_name_bits: dict[str, int] = {}
    for g in range(n):
        if isinstance(keys[g][0], str):
            ns_name_bits[keys[g][0]] = ns_name_bits.get(keys[g][0], 0) | (1 << g)

    # Destination port classes: the connection's port number and the named ports in play.
    port_classes: dict[tuple[Any, ...], int] = {}
    for g in range(n):
        rep = group_rep[g]
        number: int | None
        if isinstance(port, int):
            number = port
        else:
            found = rep.named_ports.get(port)
            number = found[0] if found is not None and found[1] == protocol else None
        key = (number, keys[g][3])
        port_classes[key] = port_classes.get(key, 0) | (1 << g)
    reachable = 0
    for (number, _), bits in port_classes.items():
        if number is not None:
            reachable |= bits
    port_bits_cache: dict[PortMatcher, int] = {}

    def port_bits(pm: PortMatcher) -> int:
        out = port_bits_cache.get(pm)
        if out is None:
            out = 0
            for (number, sig), bits in port_classes.items():
                if pm.matches(protocol, number, dict(zip(name_list, (s for s in sig), strict=True))):
                    out |= bits
            port_bits_cache[pm] = out
        return out

    def peer_bits(policy_ns: str, peer: PeerMatcher) -> int:
        if peer.block is not None:
            return block_bits[peer.block]
        if peer.empty:
            return 0
        pods_bits = everyone if peer.pods is None else pod_sel_bits[peer.pods]
        ns_bits = ns_name_bits.get(policy_ns, 0) if peer.namespaces is None else ns_sel_bits[peer.namespaces]
        return pods_bits & ns_bits

    def rule_bits(policy_ns: str, rule: RuleMatcher) -> tuple[int, int]:
        peers = everyone
        if rule.peers is not None:
            peers = 0
            for peer in rule.peers:
                peers |= peer_bits(policy_ns, peer)
        ports = everyone
        if rule.ports is not None:
            ports = 0
            for pm in rule.ports:
                ports |= port_bits(pm)
        return peers, ports

    # Per policy: egress allows (peer ∧ port) over destinations; ingress keeps (peers, ports) per rule.
    egress_allow: dict[int, int] = {}
    ingress_rules: dict[int, list[tuple[int, int]]] = {}
    for idx, cp in enumerate(world.policies):
        if cp.egress is not None:
            acc = 0
            for rule in cp.egress:
                peers, ports = rule_bits(cp.namespace, rule)
                acc |= peers & ports
            egress_allow[idx] = acc
        if cp.ingress is not None:
            ingress_rules[idx] = [rule_bits(cp.namespace, rule) for rule in cp.ingress]

    policy_index = {id(cp): i for i, cp in enumerate(world.policies)}
    sel_index = pod_sels.index
    egress = [everyone] * n
    ingress = [everyone] * n
    for g in range(n):
        ns_key, cls, _, _ = keys[g]
        if not isinstance(ns_key, str):
            continue  # a namespace without policies: unrestricted both ways
        answers = class_answers[cls]
        selecting = [cp for cp in world.by_namespace.get(ns_key, ()) if answers[sel_index[cp.selector]]]
        eg = [policy_index[id(cp)] for cp in selecting if cp.egress is not None]
        if eg:
            acc = 0
            for i in eg:
                acc |= egress_allow[i]
            egress[g] = acc
        ing = [policy_index[id(cp)] for cp in selecting if cp.ingress is not None]
        if ing:
            acc = 0
            bit = 1 << g
            for i in ing:
                for peers, ports in ingress_rules[i]:
                    if ports & bit:
                        acc |= peers
            ingress[g] = acc
    return Matrix(
        pods=[p.ref for p in pod_list],
        port=port,
        protocol=protocol,
        group_count=n,
        _group_of=group_of,
        _egress=egress,
        _ingress=ingress,
        _reachable=reachable,
    )
