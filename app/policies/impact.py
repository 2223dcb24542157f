"""The impact of a change before it is applied: which connections between pods it denies or allows.

Given the World before and the World after a change (a NetworkPolicy created, replaced or deleted;
a Namespace's or a Pod's labels edited), only pairs involving an *affected* pod can change: a pod
the old or new version of a changed policy selects, a pod whose labels or ports changed, a pod of a
Namespace whose labels changed. Each such pod is checked as a destination from every pod and as a
source to every pod, on the ports the destination exposes (container ports, named or not) plus the
ports the changed policies name. Flows whose verdict differs are grouped by source workload,
destination workload and port. Pure.

A relabelling (``namespace_relabel_impact``, ``workload_relabel_impact``) changes no policy: its
worlds differ in labels only, and the ports checked are those each destination exposes plus
those named by the policies that select a relabelled pod or whose peers match one, before or after.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from operator import itemgetter
from typing import Any, overload

from app.policies.documents import Namespace, Pod
from app.policies.impact_bits import UNMARKED, Marks, PodClass, Port, WorldBits, bits, partition, seen_in
from app.policies.model import NetworkPolicy
from app.policies.reachability import (
    CompiledPolicy,
    Endpoint,
    World,
    compile_policy,
    explain,
    peer_matches,
)

FIRST = 5  # flows shown in full per group
DENIED, ALLOWED = "denied", "allowed"

_HASH = re.compile(r"^(?P<base>.+)-[a-z0-9]{5}$")
_ORDINAL = re.compile(r"^(?P<base>.+)-\d+$")


def workload_of(pod: Pod) -> str:
    """``ns/name`` of the workload that owns ``pod``, read from the labels its controller sets
    (pod-template-hash: a Deployment's ReplicaSet; controller-revision-hash: a StatefulSet or a
    DaemonSet); a bare pod is its own workload."""
    name = pod.name
    template_hash = pod.labels.get("pod-template-hash")
    if template_hash and f"-{template_hash}-" in name:
        name = name.rsplit(f"-{template_hash}-", 1)[0]
    elif "controller-revision-hash" in pod.labels:
        pattern = _ORDINAL if "statefulset.kubernetes.io/pod-name" in pod.labels else _HASH
        found = pattern.match(name)
        name = found.group("base") if found else name
    elif "job-name" in pod.labels:
        name = pod.labels["job-name"]
    return f"{pod.namespace}/{name}"


@dataclass(frozen=True)
class Flow:
    src: str
    dst: str
    port: int
    protocol: str

    def text(self) -> str:
        return f"{self.src} → {self.dst}:{self.port}/{self.protocol}"


@dataclass
class Group:
    """The flows from one workload to another on one port that the change denies or allows.

    ``flows`` (the first ``FIRST``, by source then destination) and ``explanation`` (why the first
    flow is decided so now) are worked out when first read: a review shows a few groups of many."""

    change: str  # DENIED or ALLOWED
    src: str  # source workload, ns/name
    dst: str  # destination workload, ns/name
    port: int
    protocol: str
    port_name: str | None = None
    count: int = 0
    # the pods (sources, destinations) of each pair of classes whose flows are in the group
    parts: list[tuple[list[str], list[str]]] = field(default_factory=list, repr=False, compare=False)
    world: World | None = field(default=None, repr=False, compare=False)  # the world after the change
    first: int = field(default=FIRST, repr=False, compare=False)
    _flows: list[Flow] | None = field(default=None, repr=False, compare=False)
    _explanation: list[str] | None = field(default=None, repr=False, compare=False)

    @property
    def flows(self) -> list[Flow]:
        if self._flows is None:
            pairs = heapq.merge(*(_pairs(srcs, dsts) for srcs, dsts in self.parts))
            self._flows = [Flow(s, d, self.port, self.protocol) for s, d in islice(pairs, self.first)]
        return self._flows

    @flows.setter
    def flows(self, flows: list[Flow]) -> None:
        self._flows = flows

    @property
    def explanation(self) -> list[str]:
        if self._explanation is None:
            self._explanation = []
            if self.world is not None and self.flows:
                src, dst = self.world.pods[self.flows[0].src], self.world.pods[self.flows[0].dst]
                verdict = explain(self.world, Endpoint(pod=src), Endpoint(pod=dst), self.port, self.protocol)
                self._explanation = verdict.lines()
        return self._explanation

    @explanation.setter
    def explanation(self, lines: list[str]) -> None:
        self._explanation = lines

    def text(self) -> str:
        name = f" ({self.port_name})" if self.port_name else ""
        return f"{self.src} → {self.dst}:{self.port}/{self.protocol}{name}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "from": self.src,
            "to": self.dst,
            "port": self.port,
            "protocol": self.protocol,
            "portName": self.port_name,
            "count": self.count,
            "flows": [{"from": f.src, "to": f.dst, "port": f.port, "protocol": f.protocol} for f in self.flows],
            "explanation": list(self.explanation),
        }


@dataclass
class Impact:
    denied: Sequence[Group]
    allowed: Sequence[Group]
    affected_pods: list[str]
    checked: int  # flows evaluated in each world

    @property
    def unchanged(self) -> bool:
        return not self.denied and not self.allowed

    def lines(self) -> list[str]:
        if self.unchanged:
            return [f"No connection changes ({len(self.affected_pods)} affected pods, {self.checked} flows checked)."]
        out: list[str] = []
        for title, groups in (("Newly denied", self.denied), ("Newly allowed", self.allowed)):
            if not groups:
                continue
            out.append(f"{title}:")
            for g in groups:
                out.append(f"  {g.text()}: {g.count} flow{'s' if g.count != 1 else ''}")
                out.extend(f"    {f.text()}" for f in g.flows)
                if g.count > len(g.flows):
                    out.append(f"    … and {g.count - len(g.flows)} more")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "unchanged": self.unchanged,
            "newlyDenied": [g.as_dict() for g in self.denied],
            "newlyAllowed": [g.as_dict() for g in self.allowed],
            "affectedPods": list(self.affected_pods),
            "checked": self.checked,
        }


def with_policy(world: World, policy: NetworkPolicy) -> World:
    """``world`` with ``policy`` created, or replacing the policy of the same namespace and name."""
    new = compile_policy(policy)
    kept = [cp for cp in world.policies if cp.ref != new.ref]
    return world.with_policies([*kept, new])


def without_policy(world: World, namespace: str, name: str) -> World:
    """``world`` with the policy ``namespace/name`` deleted (unchanged when there is none)."""
    return world.with_policies(cp for cp in world.policies if cp.ref != f"{namespace}/{name}")


def _changed_policies(before: World, after: World) -> list[CompiledPolicy]:
    old = {cp.ref: cp for cp in before.policies}
    new = {cp.ref: cp for cp in after.policies}
    out = [cp for ref, cp in old.items() if new.get(ref) != cp]
    out.extend(cp for ref, cp in new.items() if old.get(ref) != cp)
    return out


def _relabelled_namespaces(before: World, after: World) -> set[str]:
    return {
        name
        for name in set(before.namespaces) | set(after.namespaces)
        if before.namespace_labels(name) != after.namespace_labels(name)
    }


def _relabelled(before: World, after: World) -> list[str]:
    """The pods (present in both worlds) whose own labels or whose namespace's labels changed."""
    namespaces = _relabelled_namespaces(before, after)
    return [
        ref
        for ref in sorted(set(before.pods) & set(after.pods))
        if before.pods[ref].labels != after.pods[ref].labels or after.pods[ref].namespace in namespaces
    ]


def _concerning(world: World, refs: Iterable[str]) -> list[CompiledPolicy]:
    """The policies of ``world`` that select one of the pods ``refs`` or have a peer selecting it by
    labels (an ipBlock does not depend on labels)."""
    pods = [world.pods[ref] for ref in refs]
    out = []
    for cp in world.policies:
        peers = [peer for rule in (cp.ingress or ()) + (cp.egress or ()) for peer in rule.peers or ()]
        if any(
            cp.selects(pod)
            or any(peer.block is None and peer_matches(world, cp.namespace, peer, Endpoint(pod=pod)) for peer in peers)
            for pod in pods
        ):
            out.append(cp)
    return out


def _marks(before: World, after: World) -> dict[str, Marks]:
    """The affected pods (present in both worlds), each with its reasons (``Marks``): relabelled
    (its labels, ports or namespace's labels changed), selected for ingress or for egress by a
    changed policy in either world, and whether its own or its namespace's labels changed."""
    changed = _changed_policies(before, after)
    namespaces = _relabelled_namespaces(before, after)
    by_namespace = seen_in(before).by_namespace
    both = after.pods.keys()
    out: dict[str, Marks] = {}
    for ns in namespaces:
        for ref in by_namespace.get(ns, ()):
            if ref in both:
                out[ref] = (True, False, False, True)
    for ref in both if before.pods.keys() == both else before.pods.keys() & both:
        old, new = before.pods[ref], after.pods[ref]
        if old is not new and (old != new or old.ports != new.ports):
            out[ref] = (True, False, False, old.labels != new.labels or ref in out)
    for cp in changed:
        for ref in by_namespace.get(cp.namespace, ()):
            if ref in both and (cp.selects(before.pods[ref]) or cp.selects(after.pods[ref])):
                relabelled, ingress, egress, labels = out.get(ref, UNMARKED)
                out[ref] = (relabelled, ingress or cp.ingress is not None, egress or cp.egress is not None, labels)
    return out


def affected_pods(before: World, after: World) -> list[str]:
    """The pods (``ns/name``, present in both worlds) whose connections the change may alter: a
    pod the old or new version of a changed policy selects, a pod whose labels or ports changed, a
    pod of a Namespace whose labels changed."""
    return sorted(_marks(before, after))


def _port_rows(policies: Iterable[CompiledPolicy]) -> tuple[set[Port], set[tuple[str, str]]]:
    """The port numbers (each end of a range) and the port names (with protocol) ``policies`` name."""
    numbers: set[Port] = set()
    names: set[tuple[str, str]] = set()
    for cp in policies:
        for rule in (cp.ingress or ()) + (cp.egress or ()):
            for pm in rule.ports or ():
                if isinstance(pm.port, int):
                    numbers.add((pm.port, pm.protocol))
                    if pm.end_port is not None:
                        numbers.add((pm.end_port, pm.protocol))
                elif isinstance(pm.port, str):
                    names.add((pm.port, pm.protocol))
    return numbers, names


def _resolved(rows: tuple[set[Port], set[tuple[str, str]]], dst: Pod) -> set[Port]:
    numbers, names = rows
    out = set(numbers)
    for name, protocol in names:
        found = dst.named_ports.get(name)
        if found is not None and found[1] == protocol:
            out.add(found)
    return out


def _policy_ports(policies: Iterable[CompiledPolicy], dst: Pod) -> set[Port]:
    """The ports ``policies`` name, their names resolved on ``dst``."""
    return _resolved(_port_rows(policies), dst)


def _ports(pod: Pod, named: set[Port]) -> list[Port]:
    return sorted({*pod.ports, *pod.named_ports.values(), *named})


def _port_name(pod: Pod, number: int, protocol: str) -> str | None:
    for name, value in pod.named_ports.items():
        if value == (number, protocol):
            return name
    return None


def _pairs(srcs: list[str], dsts: list[str]) -> Iterator[tuple[str, str]]:
    """The flows from ``srcs`` to ``dsts`` (each sorted), in order, a pod's to itself left out."""
    for src in srcs:
        for dst in dsts:
            if dst != src:
                yield src, dst


_Key = tuple[str, str, str, int, str]  # (change, source workload, destination workload, port, protocol)
_MIXED = object()  # a group whose destination pods name its port differently


class Groups(Sequence[Group]):
    """The groups of one kind of change, by source, destination and port; each ``Group`` is made
    when first read (a review shows the first few of what may be thousands)."""

    def __init__(self, keys: list[_Key], found: _Found) -> None:
        self._keys, self._found = keys, found
        self._made: dict[int, Group] = {}

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, index: int) -> Group: ...

    @overload
    def __getitem__(self, index: slice) -> list[Group]: ...

    def __getitem__(self, index: int | slice) -> Group | list[Group]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._keys)))]
        i = range(len(self._keys))[index]  # negative indexes, and IndexError
        group = self._made.get(i)
        if group is None:
            group = self._made[i] = self._found.group(self._keys[i])
        return group

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


class _Found:
    """The changed flows, by (change, source workload, destination workload, port): per group its
    count, its port's name and the pods (sources, destinations) of each pair of classes in it."""

    def __init__(self, classes: list[PodClass], world: World, first: int) -> None:
        self.classes, self.world, self.first = classes, world, first
        self.groups: dict[_Key, list[Any]] = {}  # [count, port name, srcs, dsts, srcs, dsts, ...]
        self._workloads: dict[int, list[tuple[str, list[str]]]] = {}
        self._port_names: dict[tuple[int, Port], str | None] = {}  # per class and port: its name there

    def _by_workload(self, c: int) -> list[tuple[str, list[str]]]:
        found = self._workloads.get(c)
        if found is None:
            out: dict[str, list[str]] = {}
            for ref in self.classes[c].members:
                out.setdefault(workload_of(self.world.pods[ref]), []).append(ref)
            found = self._workloads[c] = list(out.items())
        return found

    def add(self, pairs: Iterable[tuple[int, int, bool]], port: Port) -> None:
        """The flows on ``port`` from the pods of class s to those of class d, for each (s, d,
        whether the change allows them)."""
        number, protocol = port
        groups, workloads = self.groups, self._workloads
        for s, d, allowed in pairs:
            if s == d and len(self.classes[s].members) < 2:
                continue  # a pod's flow to itself is no flow
            name = self._port_names.get((d, port), "")
            if name == "":
                name = self._port_names[(d, port)] = _port_name(self.world.pods[self.classes[d].members[0]], *port)
            change = ALLOWED if allowed else DENIED
            for src_wl, srcs in workloads.get(s) or self._by_workload(s):
                for dst_wl, dsts in workloads.get(d) or self._by_workload(d):
                    count = len(srcs) * len(dsts) - (len(dsts) if s == d and src_wl == dst_wl else 0)
                    if not count:
                        continue
                    key = (change, src_wl, dst_wl, number, protocol)
                    entry = groups.get(key)
                    if entry is None:
                        groups[key] = [count, name, srcs, dsts]
                        continue
                    entry[0] += count
                    if entry[1] != name:
                        entry[1] = _MIXED
                    entry += (srcs, dsts)

    def group(self, key: _Key) -> Group:
        count, name, *pods = self.groups[key]
        parts = list(zip(pods[::2], pods[1::2], strict=True))
        group = Group(*key, count=count, parts=parts, world=self.world, first=self.first)
        # named by its first flow's destination (all alike, unless the workload's pods differ)
        group.port_name = _port_name(self.world.pods[group.flows[0].dst], *key[3:]) if name is _MIXED else name
        return group

    def of(self, change: str) -> Groups:
        """The groups of ``change``, by source, destination and port."""
        return Groups(sorted((k for k in self.groups if k[0] == change), key=itemgetter(1, 2, 3, 4)), self)


def _checked(classes: list[PodClass]) -> int:
    """The flows evaluated in each world: every pair of pods with an affected pod on one side (a
    pod's pair with itself left out), on each port the destination is checked on."""
    weight = sum(len(c.members) * len(c.ports) for c in classes)
    weight_affected = sum(len(c.members) * len(c.ports) for c in classes if c.affected)
    pods = sum(len(c.members) for c in classes)
    pods_affected = sum(len(c.members) for c in classes if c.affected)
    by_affected = sum(len(c.members) * (weight - len(c.ports)) for c in classes if c.affected)
    return by_affected + (pods - pods_affected) * weight_affected


def impact(before: World, after: World, first: int = FIRST) -> Impact:
    """The flows between the affected pods and their peers whose verdict the change flips.

    Every pair (source, destination) with an affected pod on either side is decided in both worlds
    on each port the destination is checked on; pods are taken by class and decided as bitsets
    (``app.policies.impact_bits``): each affected class's row (the classes it may reach) and column
    (the classes that may reach it) per port, so the work grows with the classes and the rules,
    not with pairs of pods."""
    marks = _marks(before, after)
    changed = _changed_policies(before, after)
    in_after = {id(cp) for cp in after.policies}
    added = [cp for cp in changed if id(cp) in in_after]
    classes = partition(before, after, marks, added) if marks else []
    old = WorldBits(before, [before.pods[c.members[0]] for c in classes])
    new = WorldBits(after, [after.pods[c.members[0]] for c in classes])
    relabelled = 0
    for i, c in enumerate(classes):
        if c.marks[3]:
            relabelled |= 1 << i
    if relabelled:  # the policies whose selection of the relabelled pods may change name ports too
        changed = [*changed, *old.concerning(relabelled), *new.concerning(relabelled)]
    rows = _port_rows(changed)
    for c in classes:  # the destination's ports in both worlds (a label or port edit may change them)
        dst, old_dst = after.pods[c.members[0]], before.pods[c.members[0]]
        named = _resolved(rows, dst) | _resolved(rows, old_dst)
        c.ports = sorted({*_ports(dst, named), *_ports(old_dst, named)})
    affected = [i for i, c in enumerate(classes) if c.affected]
    unaffected = old.everyone
    for i in affected:
        unaffected &= ~(1 << i)
    checked_on: dict[Port, int] = {}
    for i, c in enumerate(classes):
        for port in c.ports:
            checked_on[port] = checked_on.get(port, 0) | 1 << i
    found = _Found(classes, after, first)

    for s in affected:  # flows from an affected class, to every class checked on the port
        for port, on in checked_on.items():
            now = new.row(s, port)
            found.add(((s, d, bool(now >> d & 1)) for d in bits((old.row(s, port) ^ now) & on)), port)
    for d in affected:  # flows to an affected class, from the classes not counted above
        for port in classes[d].ports:
            now = new.column(d, port)
            found.add(((s, d, bool(now >> s & 1)) for s in bits((old.column(d, port) ^ now) & unaffected)), port)
    return Impact(
        denied=found.of(DENIED),
        allowed=found.of(ALLOWED),
        affected_pods=sorted(marks),
        checked=_checked(classes),
    )


def policy_impact(world: World, policy: NetworkPolicy) -> Impact:
    """The impact of creating ``policy``, or of replacing the policy of the same namespace and name."""
    return impact(world, with_policy(world, policy))


def delete_impact(world: World, namespace: str, name: str) -> Impact:
    """The impact of deleting the policy ``namespace/name``."""
    return impact(world, without_policy(world, namespace, name))


def _with_objects(world: World, namespaces: Iterable[Namespace], pods: Iterable[Pod]) -> World:
    """Other namespaces and pods under ``world``'s (already compiled) policies."""
    return World(namespaces, pods, ()).with_policies(world.policies)


def with_namespace_labels(world: World, name: str, labels: Mapping[str, str]) -> World:
    """``world`` with the labels of namespace ``name`` replaced by ``labels`` (its
    kubernetes.io/metadata.name label kept, as the API server keeps it)."""
    namespaces = {**world.namespaces, name: Namespace(name, labels)}
    return _with_objects(world, namespaces.values(), world.pods.values())


def with_pod_labels(world: World, refs: Iterable[str], before: Mapping[str, str], after: Mapping[str, str]) -> World:
    """``world`` with the pods ``refs`` (``ns/name``) relabelled as a workload's pod template going
    from the labels ``before`` to ``after``: each pod keeps the labels its controller added (those
    the template does not give, like pod-template-hash) and takes the template's new ones."""
    pods = dict(world.pods)
    for ref in refs:
        pod = pods.get(ref)
        if pod is not None:
            kept = {k: v for k, v in pod.labels.items() if k not in before}
            pods[ref] = replace(pod, labels={**kept, **after})
    return _with_objects(world, world.namespaces.values(), pods.values())


def namespace_relabel_impact(world: World, name: str, labels: Mapping[str, str]) -> Impact:
    """The impact of giving namespace ``name`` the labels ``labels`` (replacing its own): the flows
    of its pods that the policies' namespaceSelectors start or stop allowing."""
    return impact(world, with_namespace_labels(world, name, labels))


def workload_relabel_impact(
    world: World, pods: Iterable[str], before: Mapping[str, str], after: Mapping[str, str]
) -> Impact:
    """The impact of a workload's pod template labels going from ``before`` to ``after``, on its
    pods ``pods`` (``ns/name``): the policies that start or stop selecting them, and the peers
    that start or stop matching them."""
    return impact(world, with_pod_labels(world, pods, before, after))
