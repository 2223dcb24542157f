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

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from app.policies.documents import Namespace, Pod
from app.policies.model import NetworkPolicy
from app.policies.reachability import (
    EGRESS,
    INGRESS,
    CompiledPolicy,
    Endpoint,
    IPBlockMatcher,
    RuleMatcher,
    World,
    compile_policy,
    explain,
    parse_ip,
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
    """The flows from one workload to another on one port that the change denies or allows."""

    change: str  # DENIED or ALLOWED
    src: str  # source workload, ns/name
    dst: str  # destination workload, ns/name
    port: int
    protocol: str
    port_name: str | None = None
    count: int = 0
    flows: list[Flow] = field(default_factory=list)  # the first FIRST of them
    explanation: list[str] = field(default_factory=list)  # why the first flow is decided so now

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
    denied: list[Group]
    allowed: list[Group]
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


class _Judge:
    """Decides connections in one world quickly (no explanations), per class of pods the world
    cannot tell apart (``impact``): the policies selecting each class, and which of their rules'
    peers match each other class, are worked out once and shared by every pair and port."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._selecting: dict[tuple[int, str], list[CompiledPolicy]] = {}
        self._matching: dict[tuple[int, int, str], list[RuleMatcher]] = {}

    def _policies(self, cls: int, pod: Pod, direction: str) -> list[CompiledPolicy]:
        key = (cls, direction)
        found = self._selecting.get(key)
        if found is None:
            found = self._selecting[key] = self.world.selecting(pod, direction)
        return found

    def _rules(self, cls: int, pod: Pod, other_cls: int, other: Pod, direction: str) -> list[RuleMatcher] | None:
        """The rules of the policies selecting ``pod`` (for ``direction``) whose peers match
        ``other``; None when no policy selects it (the direction is not isolated)."""
        policies = self._policies(cls, pod, direction)
        if not policies:
            return None
        key = (cls, other_cls, direction)
        found = self._matching.get(key)
        if found is None:
            ep = Endpoint(pod=other)
            found = self._matching[key] = [
                rule
                for cp in policies
                for rule in cp.rules(direction) or ()
                if rule.peers is None or any(peer_matches(self.world, cp.namespace, peer, ep) for peer in rule.peers)
            ]
        return found

    def allowed(self, s: int, src: Pod, d: int, dst: Pod, number: int, protocol: str) -> bool:
        """Whether a pod of class ``s`` (``src`` one of them) may connect to another pod of class
        ``d`` (``dst``) on ``number``/``protocol``."""
        for rules in (self._rules(s, src, d, dst, EGRESS), self._rules(d, dst, s, src, INGRESS)):
            if rules is not None and not any(
                rule.ports is None or any(pm.matches(protocol, number, dst.named_ports) for pm in rule.ports)
                for rule in rules
            ):
                return False
        return True


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


def affected_pods(before: World, after: World) -> list[str]:
    """The pods (``ns/name``, present in both worlds) whose connections the change may alter."""
    changed = _changed_policies(before, after)
    namespaces = _relabelled_namespaces(before, after)
    out = []
    for ref in sorted(set(before.pods) & set(after.pods)):
        old, new = before.pods[ref], after.pods[ref]
        if (
            old != new
            or old.ports != new.ports
            or new.namespace in namespaces
            or any(cp.selects(old) or cp.selects(new) for cp in changed)
        ):
            out.append(ref)
    return out


def _policy_ports(policies: Iterable[CompiledPolicy], dst: Pod) -> set[tuple[int, str]]:
    out: set[tuple[int, str]] = set()
    for cp in policies:
        for rule in (cp.ingress or ()) + (cp.egress or ()):
            for pm in rule.ports or ():
                if isinstance(pm.port, int):
                    out.add((pm.port, pm.protocol))
                    if pm.end_port is not None:
                        out.add((pm.end_port, pm.protocol))
                elif isinstance(pm.port, str):
                    found = dst.named_ports.get(pm.port)
                    if found is not None and found[1] == pm.protocol:
                        out.add(found)
    return out


def _ports(pod: Pod, named: set[tuple[int, str]]) -> list[tuple[int, str]]:
    return sorted({*pod.ports, *pod.named_ports.values(), *named})


def _port_name(pod: Pod, number: int, protocol: str) -> str | None:
    for name, value in pod.named_ports.items():
        if value == (number, protocol):
            return name
    return None


def _blocks(world: World) -> list[IPBlockMatcher]:
    return [peer.block for _, rule in _all_rules(world) for peer in rule.peers or () if peer.block is not None]


def _all_rules(world: World) -> Iterable[tuple[CompiledPolicy, RuleMatcher]]:
    for cp in world.policies:
        for rule in (cp.ingress or ()) + (cp.egress or ()):
            yield cp, rule


@dataclass
class _Class:
    """Pods that neither world can tell apart (namespace, the labels some podSelector reads, named
    ports, membership in every ipBlock in play, in each world), all affected or all not, with the
    same ports to check and the same reasons to be affected: relabelled (their labels, ports or
    namespace's labels changed), selected for ingress or for egress by a changed policy."""

    members: list[str]
    ports: list[tuple[int, str]]
    affected: bool
    relabelled: bool = False
    ingress: bool = False
    egress: bool = False

    def may_change(self, dst: _Class) -> bool:
        """Whether a flow from one of these pods to one of ``dst``'s may change: a connection is
        decided by the source's egress policies and the destination's ingress policies, each
        matching the other side's labels, so it changes only if one of those did."""
        return self.relabelled or dst.relabelled or self.egress or dst.ingress


def _label_keys(world: World) -> set[str]:
    """The pod label keys some podSelector of ``world`` reads (a policy's, or a peer's)."""
    keys = {r.key for cp in world.policies for r in cp.selector}
    for _, rule in _all_rules(world):
        keys |= {r.key for peer in rule.peers or () for r in peer.pods or ()}
    return keys


def _reasons(before: World, after: World, refs: list[str]) -> dict[str, tuple[bool, bool, bool]]:
    """Per pod: (relabelled, selected for ingress by a changed policy, for egress), in either world."""
    changed = _changed_policies(before, after)
    namespaces = _relabelled_namespaces(before, after)
    out = {}
    for ref in refs:
        old, new = before.pods[ref], after.pods[ref]
        selecting = [cp for cp in changed if cp.selects(old) or cp.selects(new)]
        out[ref] = (
            old != new or old.ports != new.ports or new.namespace in namespaces,
            any(cp.ingress is not None for cp in selecting),
            any(cp.egress is not None for cp in selecting),
        )
    return out


def _classes(before: World, after: World, refs: list[str], affected: set[str],
             ports_of: Mapping[str, list[tuple[int, str]]]) -> list[_Class]:  # fmt: skip
    blocks = list(dict.fromkeys([*_blocks(before), *_blocks(after)]))
    keys = _label_keys(before) | _label_keys(after)  # other labels (a zone, a hash) tell no pods apart

    def seen(pod: Pod) -> tuple[Any, ...]:
        ip = parse_ip(pod.pod_ip)
        labels = frozenset((k, v) for k, v in pod.labels.items() if k in keys)
        return (pod.namespace, labels, frozenset(pod.named_ports.items()), tuple(b.contains(ip) for b in blocks))

    reasons = _reasons(before, after, refs)
    found: dict[tuple[Any, ...], _Class] = {}
    for ref in refs:
        ports = ports_of[ref]
        key = (seen(before.pods[ref]), seen(after.pods[ref]), ref in affected, tuple(ports), reasons[ref])
        cls = found.get(key)
        if cls is None:
            cls = found[key] = _Class([], ports, ref in affected, *reasons[ref])
        cls.members.append(ref)
    return list(found.values())


def impact(before: World, after: World, first: int = FIRST) -> Impact:
    """The flows between the affected pods and their peers whose verdict the change flips.

    Every pair (source, destination) with an affected pod on either side is decided in both worlds
    on each port the destination is checked on; pods are taken by class (``_Class``), so the work
    grows with the classes of pods, not with pairs of pods."""
    affected = affected_pods(before, after)
    changed = _changed_policies(before, after)
    relabelled = _relabelled(before, after)
    if relabelled:  # the policies whose selection of the relabelled pods may change name ports too
        changed = [*changed, *_concerning(before, relabelled), *_concerning(after, relabelled)]
    refs = sorted(set(before.pods) & set(after.pods))
    ports_of: dict[str, list[tuple[int, str]]] = {}
    for ref in refs:
        # The destination's ports in both worlds (a label or port edit may change them).
        dst, old_dst = after.pods[ref], before.pods[ref]
        named = _policy_ports(changed, dst) | _policy_ports(changed, old_dst)
        ports_of[ref] = sorted({*_ports(dst, named), *_ports(old_dst, named)})
    affected_set = set(affected)
    classes = _classes(before, after, refs, affected_set, ports_of) if affected else []
    old, new = _Judge(before), _Judge(after)
    groups: dict[tuple[str, str, str, int, str], Group] = {}
    candidates: dict[tuple[str, str, str, int, str], list[Flow]] = {}
    checked = 0
    for i, s in enumerate(classes):
        src_old, src_new = before.pods[s.members[0]], after.pods[s.members[0]]
        for j, d in enumerate(classes):
            if not (s.affected or d.affected):
                continue
            # pods of both (the same class): a pod's pairs with itself are not flows
            pairs = len(s.members) * len(d.members) - (len(s.members) if i == j else 0)
            if not pairs:
                continue
            checked += pairs * len(d.ports)
            if not s.may_change(d):
                continue
            dst_old, dst_new = before.pods[d.members[0]], after.pods[d.members[0]]
            for number, protocol in d.ports:
                was = old.allowed(i, src_old, j, dst_old, number, protocol)
                now = new.allowed(i, src_new, j, dst_new, number, protocol)
                if was != now:
                    _count(groups, candidates, ALLOWED if now else DENIED, s, d, i == j, number, protocol, after,
                           first)  # fmt: skip
    for key, group in groups.items():
        flows = sorted(candidates[key], key=lambda f: (f.src, f.dst))[:first]
        group.flows = flows
        src, dst = after.pods[flows[0].src], after.pods[flows[0].dst]
        group.port_name = _port_name(dst, group.port, group.protocol)
        group.explanation = explain(after, Endpoint(pod=src), Endpoint(pod=dst), group.port, group.protocol).lines()
    ordered = sorted(groups.values(), key=lambda g: (g.src, g.dst, g.port, g.protocol))
    return Impact(
        denied=[g for g in ordered if g.change == DENIED],
        allowed=[g for g in ordered if g.change == ALLOWED],
        affected_pods=affected,
        checked=checked,
    )


def _count(groups: dict[tuple[str, str, str, int, str], Group], candidates: dict[tuple[str, str, str, int, str],
           list[Flow]], change: str, s: _Class, d: _Class, same: bool, number: int, protocol: str, world: World,
           first: int) -> None:  # fmt: skip
    """Add the flows from the pods of ``s`` to those of ``d`` to their workloads' groups, keeping
    each group's first ``first`` flows (by source, then destination) as candidates."""
    by_src: dict[str, list[str]] = {}
    for ref in s.members:
        by_src.setdefault(workload_of(world.pods[ref]), []).append(ref)
    by_dst: dict[str, list[str]] = {}
    for ref in d.members:
        by_dst.setdefault(workload_of(world.pods[ref]), []).append(ref)
    for src_wl, srcs in by_src.items():
        for dst_wl, dsts in by_dst.items():
            count = len(srcs) * len(dsts) - (len(dsts) if same and src_wl == dst_wl else 0)
            if not count:
                continue
            key = (change, src_wl, dst_wl, number, protocol)
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(change, src_wl, dst_wl, number, protocol)
                candidates[key] = []
            group.count += count
            kept = candidates[key]
            for src_ref in srcs[:first]:  # the group's first flows are among these
                kept += [Flow(src_ref, ref, number, protocol) for ref in dsts[: first + 1] if ref != src_ref]


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
