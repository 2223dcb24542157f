"""The impact's evaluation (``app.policies.impact``) by classes of pods, as bitsets. Pure.

Pods that neither World can tell apart (namespace, the labels some podSelector reads, named and
exposed ports, membership in every ipBlock in play, in each world) and that have the same reasons
to be affected form a class. ``WorldBits`` holds one World's policies as bitsets over the classes
(bit i: class i), in the style of ``app.policies.matrix``: the classes each policy selects, the
classes each rule's peers match. A class's *row* (the classes its pods may connect to on a port)
and *column* (the classes that may connect to it) are then a few bit operations per rule that
concerns it, so the impact costs (affected classes) × (rules) bit operations, not pairs of pods.

What the cluster's World sees of its pods is worked out once per World (``seen_in``): the
cluster's World is one object until a Namespace, Pod or NetworkPolicy changes
(``app.analysis.snapshot.world``), so a review pays only for what its change adds.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.policies.documents import Pod
from app.policies.reachability import (
    CompiledPolicy,
    IPBlockMatcher,
    PeerMatcher,
    PortMatcher,
    RuleMatcher,
    World,
    parse_ip,
)
from app.policies.selectors import Requirement, requirements_match

Port = tuple[int, str]
# Per affected pod: (relabelled: labels, ports or namespace labels changed; selected for ingress by
# a changed policy; for egress; its own or its namespace's labels changed)
Marks = tuple[bool, bool, bool, bool]
UNMARKED: Marks = (False, False, False, False)


def bits(x: int) -> Iterator[int]:
    """The indexes of the set bits of ``x``, lowest first."""
    while x:
        low = x & -x
        yield low.bit_length() - 1
        x ^= low


def _rules(cp: CompiledPolicy) -> tuple[RuleMatcher, ...]:
    return (cp.ingress or ()) + (cp.egress or ())


def label_keys(policies: Iterable[CompiledPolicy]) -> set[str]:
    """The pod label keys the podSelectors of ``policies`` read (a policy's, or a peer's)."""
    keys: set[str] = set()
    for cp in policies:
        keys.update(r.key for r in cp.selector)
        for rule in _rules(cp):
            for peer in rule.peers or ():
                keys.update(r.key for r in peer.pods or ())
    return keys


def blocks(policies: Iterable[CompiledPolicy]) -> list[IPBlockMatcher]:
    """The ipBlocks of ``policies``' peers, each once."""
    found = (peer.block for cp in policies for rule in _rules(cp) for peer in rule.peers or ())
    return list(dict.fromkeys(b for b in found if b is not None))


def _seen(pod: Pod, keys: frozenset[str], in_play: tuple[IPBlockMatcher, ...]) -> tuple[Any, ...]:
    """What selectors reading ``keys`` and the ipBlocks ``in_play`` see of ``pod``, with the ports
    it is checked on (other labels, a zone or a hash, tell no pods apart)."""
    ip = parse_ip(pod.pod_ip)
    labels = frozenset((k, v) for k, v in pod.labels.items() if k in keys)
    return (pod.namespace, labels, frozenset(pod.named_ports.items()), pod.ports,
            tuple(b.contains(ip) for b in in_play))  # fmt: skip


@dataclass
class Seen:
    """One World's pods by what its own selectors and ipBlocks see of them."""

    keys: frozenset[str]
    blocks: tuple[IPBlockMatcher, ...]
    of: dict[str, tuple[Any, ...]]  # per pod ``ns/name``
    groups: dict[tuple[Any, ...], list[str]]  # pods seen alike, each list sorted
    by_namespace: dict[str, list[str]]  # pods per namespace, sorted


_seen_memo: weakref.WeakKeyDictionary[World, Seen] = weakref.WeakKeyDictionary()


def seen_in(world: World) -> Seen:
    """``Seen`` of ``world``, worked out once per World object (forgotten with it)."""
    found = _seen_memo.get(world)
    if found is None:
        keys, in_play = frozenset(label_keys(world.policies)), tuple(blocks(world.policies))
        of: dict[str, tuple[Any, ...]] = {}
        groups: dict[tuple[Any, ...], list[str]] = {}
        by_namespace: dict[str, list[str]] = {}
        for ref in sorted(world.pods):
            pod = world.pods[ref]
            key = _seen(pod, keys, in_play)
            members = groups.get(key)
            if members is None:
                members = groups[key] = []
            else:  # one object per key, shared by its pods (10,000 pods, about 1,000 keys)
                key = of[members[0]]
            of[ref] = key
            members.append(ref)
            by_namespace.setdefault(pod.namespace, []).append(ref)
        found = _seen_memo[world] = Seen(keys, in_play, of, groups, by_namespace)
    return found


@dataclass
class PodClass:
    """Pods neither world can tell apart, all affected or all not, for the same reasons."""

    members: list[str]  # sorted
    marks: Marks = UNMARKED
    affected: bool = False
    ports: list[Port] = field(default_factory=list)  # the ports each member is checked on


def partition(before: World, after: World, marks: Mapping[str, Marks], added: list[CompiledPolicy]) -> list[PodClass]:
    """The pods of both worlds in classes. ``marks``: the affected pods, each with its reasons;
    ``added``: the policies of ``after`` that ``before`` has not (their selectors may tell apart
    pods that ``before``'s cannot)."""
    base = seen_in(before)
    extra_keys = tuple(sorted(label_keys(added) - base.keys))
    extra_blocks = tuple(b for b in blocks(added) if b not in base.blocks)
    refined = bool(extra_keys or extra_blocks)
    both = None if before.pods.keys() == after.pods.keys() else before.pods.keys() & after.pods.keys()

    def extra(pod: Pod) -> tuple[Any, ...]:
        if not refined:
            return ()
        ip = parse_ip(pod.pod_ip)
        return tuple(pod.labels.get(k) for k in extra_keys), tuple(b.contains(ip) for b in extra_blocks)

    moved = {ref for ref in (before.pods if both is None else both) if before.pods[ref] is not after.pods[ref]}
    split_groups = {base.of[ref] for ref in (*marks, *moved) if ref in base.of}
    out: list[PodClass] = []
    for seen, group in base.groups.items():
        members = group if both is None else [ref for ref in group if ref in both]
        if not members:
            continue
        if not refined and seen not in split_groups:
            out.append(PodClass(members))
            continue
        found: dict[tuple[Any, ...], PodClass] = {}
        for ref in members:
            old, new = before.pods[ref], after.pods[ref]
            now = None if ref not in moved else (_seen(new, base.keys, base.blocks), extra(new))
            mark = marks.get(ref, UNMARKED)
            key = (extra(old), now, mark)
            cls = found.get(key)
            if cls is None:
                cls = found[key] = PodClass([], mark, ref in marks)
            cls.members.append(ref)
        out.extend(found.values())
    return out


PortRows = tuple[PortMatcher, ...] | None
_Rule = tuple[int, int, PortRows]  # (classes the policy selects, classes the rule's peers match, ports)


class WorldBits:
    """One World's policies as bitsets over classes of pods (``reps[i]``: a pod of class i as this
    world has it)."""

    def __init__(self, world: World, reps: list[Pod]) -> None:
        self.world, self.reps = world, reps
        self.everyone = (1 << len(reps)) - 1
        self._by_ns: dict[str, list[int]] = {}
        for i, pod in enumerate(reps):
            self._by_ns.setdefault(pod.namespace, []).append(i)
        self._pods_memo: dict[tuple[Any, ...], int] = {}
        self._ns_memo: dict[tuple[Requirement, ...], list[str]] = {}
        self._block_memo: dict[IPBlockMatcher, int] = {}
        self._port_memo: dict[tuple[PortRows, Port], int] = {}
        self._row_rules: dict[int, tuple[list[tuple[PortRows, int]], list[tuple[PortRows, int]]]] = {}
        self._column_rules: dict[int, tuple[list[tuple[PortRows, int]], list[tuple[PortRows, int]]]] = {}
        # the rules of each namespace's policies, and every rule by (its peers, its ports): the
        # classes selected, taken together (policies alike across namespaces fall into one)
        self.egress: dict[str, list[_Rule]] = {}
        self.ingress: dict[str, list[_Rule]] = {}
        self.egress_peers: dict[tuple[int, PortRows], int] = {}
        self.ingress_peers: dict[tuple[int, PortRows], int] = {}
        self.isolated_egress = self.isolated_ingress = 0
        for cp in world.policies:
            selected = self.pods(cp.namespace, cp.selector)
            if not selected:
                continue
            for rules, found, by_peers in (
                (cp.egress, self.egress, self.egress_peers), (cp.ingress, self.ingress, self.ingress_peers)
            ):
                if rules is None:
                    continue
                if found is self.egress:
                    self.isolated_egress |= selected
                else:
                    self.isolated_ingress |= selected
                here = found.setdefault(cp.namespace, [])
                for rule in rules:
                    peers = self.everyone
                    if rule.peers is not None:
                        peers = 0
                        for peer in rule.peers:
                            peers |= self.peer(cp.namespace, peer)
                    here.append((selected, peers, rule.ports))
                    key = (peers, rule.ports)
                    by_peers[key] = by_peers.get(key, 0) | selected

    def _namespaces(self, selector: tuple[Requirement, ...]) -> list[str]:
        found = self._ns_memo.get(selector)
        if found is None:
            labels = self.world.namespace_labels
            found = self._ns_memo[selector] = [ns for ns in self._by_ns if requirements_match(selector, labels(ns))]
        return found

    def pods(self, namespaces: str | tuple[Requirement, ...], selector: tuple[Requirement, ...] | None) -> int:
        """The classes in namespace ``namespaces`` (a name; else the namespaces that selector
        matches) whose pods ``selector`` matches (None: every pod)."""
        key = (namespaces, selector)
        found = self._pods_memo.get(key)
        if found is None:
            found = 0
            names = [namespaces] if isinstance(namespaces, str) else self._namespaces(namespaces)
            for ns in names:
                for i in self._by_ns.get(ns, ()):
                    if selector is None or requirements_match(selector, self.reps[i].labels):
                        found |= 1 << i
            self._pods_memo[key] = found
        return found

    def peer(self, policy_ns: str, peer: PeerMatcher) -> int:
        """The classes ``peer`` (of a policy of ``policy_ns``) matches (``peer_matches``)."""
        if peer.block is not None:
            found = self._block_memo.get(peer.block)
            if found is None:
                found = 0
                for i, pod in enumerate(self.reps):
                    if peer.block.contains(parse_ip(pod.pod_ip)):
                        found |= 1 << i
                self._block_memo[peer.block] = found
            return found
        if peer.empty:
            return 0
        return self.pods(policy_ns if peer.namespaces is None else peer.namespaces, peer.pods)

    def ports(self, rows: PortRows, port: Port) -> int:
        """The destination classes on which a rule's ``rows`` match ``port`` (a named row: by
        their named ports)."""
        if rows is None:
            return self.everyone
        key = (rows, port)
        found = self._port_memo.get(key)
        if found is None:
            found = 0
            number, protocol = port
            for pm in rows:
                if isinstance(pm.port, str):
                    for i, pod in enumerate(self.reps):
                        if pm.matches(protocol, number, pod.named_ports):
                            found |= 1 << i
                elif pm.matches(protocol, number, None):
                    found = self.everyone
            self._port_memo[key] = found
        return found

    @staticmethod
    def _by_rows(rules: Iterable[tuple[PortRows, int]]) -> list[tuple[PortRows, int]]:
        """``rules`` (ports, classes) with the same ports taken together."""
        out: dict[PortRows, int] = {}
        for rows, found in rules:
            out[rows] = out.get(rows, 0) | found
        return list(out.items())

    def _selecting(self, rules: dict[str, list[_Rule]], c: int) -> list[tuple[PortRows, int]]:
        """The rules of the policies selecting class ``c``, (ports, peers) by ports."""
        bit = 1 << c
        return self._by_rows((rows, peers) for selected, peers, rows in rules.get(self.reps[c].namespace, ())
                             if selected & bit)  # fmt: skip

    def _peering(self, rules: dict[tuple[int, PortRows], int], c: int) -> list[tuple[PortRows, int]]:
        """The rules whose peers match class ``c``, (ports, classes selected) by ports."""
        bit = 1 << c
        return self._by_rows((rows, selected) for (peers, rows), selected in rules.items() if peers & bit)

    def row(self, s: int, port: Port) -> int:
        """The classes a pod of class ``s`` may connect to on ``port``: its egress allows them and
        their ingress allows it."""
        bit = 1 << s
        rules = self._row_rules.get(s)
        if rules is None:
            rules = self._row_rules[s] = (self._selecting(self.egress, s), self._peering(self.ingress_peers, s))
        egress, ingress = rules
        out = self.everyone
        if self.isolated_egress & bit:
            out = 0
            for rows, peers in egress:
                out |= peers & self.ports(rows, port)
        open_ = self.everyone & ~self.isolated_ingress
        for rows, selected in ingress:
            open_ |= selected & self.ports(rows, port)
        return out & open_

    def column(self, d: int, port: Port) -> int:
        """The classes whose pods may connect to a pod of class ``d`` on ``port``."""
        bit = 1 << d
        rules = self._column_rules.get(d)
        if rules is None:
            rules = self._column_rules[d] = (self._peering(self.egress_peers, d), self._selecting(self.ingress, d))
        egress, ingress = rules
        out = self.everyone & ~self.isolated_egress
        for rows, selected in egress:
            if self.ports(rows, port) & bit:
                out |= selected
        open_ = self.everyone
        if self.isolated_ingress & bit:
            open_ = 0
            for rows, peers in ingress:
                if self.ports(rows, port) & bit:
                    open_ |= peers
        return out & open_

    def concerning(self, classes: int) -> list[CompiledPolicy]:
        """The policies that select a pod of ``classes`` or have a peer selecting one by labels
        (an ipBlock does not depend on labels)."""
        return [
            cp
            for cp in self.world.policies
            if self.pods(cp.namespace, cp.selector) & classes
            or any(
                self.peer(cp.namespace, peer) & classes
                for rule in _rules(cp)
                for peer in rule.peers or ()
                if peer.block is None
            )
        ]
