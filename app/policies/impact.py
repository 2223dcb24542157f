"""The impact of a change before it is applied: which connections between pods it denies or allows.

Given the World before and the World after a change (a NetworkPolicy created, replaced or deleted;
a Namespace's or a Pod's labels edited), only pairs involving an *affected* pod can change: a pod
the old or new version of a changed policy selects, a pod whose labels or ports changed, a pod of a
Namespace whose labels changed. Each such pod is checked as a destination from every pod and as a
source to every pod, on the ports the destination exposes (container ports, named or not) plus the
ports the changed policies name. Flows whose verdict differs are grouped by source workload,
destination workload and port. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.policies.documents import Pod
from app.policies.model import NetworkPolicy
from app.policies.reachability import (
    EGRESS,
    INGRESS,
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
    """Decides connections in one world quickly (no explanations), remembering which policies select
    each pod."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._selecting: dict[tuple[str, str], list[CompiledPolicy]] = {}

    def _policies(self, pod: Pod, direction: str) -> list[CompiledPolicy]:
        key = (pod.ref, direction)
        found = self._selecting.get(key)
        if found is None:
            found = self._selecting[key] = self.world.selecting(pod, direction)
        return found

    def _side(self, subject: Pod, other: Endpoint, direction: str, number: int, protocol: str, dst: Pod) -> bool:
        policies = self._policies(subject, direction)
        if not policies:
            return True
        for cp in policies:
            for rule in cp.rules(direction) or ():
                if rule.ports is not None and not any(
                    pm.matches(protocol, number, dst.named_ports) for pm in rule.ports
                ):
                    continue
                if rule.peers is None or any(
                    peer_matches(self.world, cp.namespace, peer, other) for peer in rule.peers
                ):
                    return True
        return False

    def allowed(self, src: Pod, dst: Pod, number: int, protocol: str) -> bool:
        if src.ref == dst.ref:
            return True  # a pod cannot block access to itself
        return self._side(src, Endpoint(pod=dst), EGRESS, number, protocol, dst) and self._side(
            dst, Endpoint(pod=src), INGRESS, number, protocol, dst
        )


def _changed_policies(before: World, after: World) -> list[CompiledPolicy]:
    old = {cp.ref: cp for cp in before.policies}
    new = {cp.ref: cp for cp in after.policies}
    out = [cp for ref, cp in old.items() if new.get(ref) != cp]
    out.extend(cp for ref, cp in new.items() if old.get(ref) != cp)
    return out


def affected_pods(before: World, after: World) -> list[str]:
    """The pods (``ns/name``, present in both worlds) whose connections the change may alter."""
    changed = _changed_policies(before, after)
    namespaces = {
        name
        for name in set(before.namespaces) | set(after.namespaces)
        if before.namespace_labels(name) != after.namespace_labels(name)
    }
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


def impact(before: World, after: World, first: int = FIRST) -> Impact:
    """The flows between the affected pods and their peers whose verdict the change flips."""
    affected = affected_pods(before, after)
    changed = _changed_policies(before, after)
    pods = [after.pods[ref] for ref in sorted(set(before.pods) & set(after.pods))]
    by_ref: Mapping[str, Pod] = {p.ref: p for p in pods}
    old, new = _Judge(before), _Judge(after)
    pairs: dict[tuple[str, str], None] = {}
    for ref in affected:
        for other in pods:
            pairs[(other.ref, ref)] = None
            pairs[(ref, other.ref)] = None
    groups: dict[tuple[str, str, str, int, str], Group] = {}
    ports_of: dict[str, list[tuple[int, str]]] = {}
    checked = 0
    for src_ref, dst_ref in sorted(pairs):
        if src_ref == dst_ref:
            continue
        src, dst = by_ref[src_ref], by_ref[dst_ref]
        ports = ports_of.get(dst_ref)
        if ports is None:
            # The destination's ports in both worlds (a label or port edit may change them).
            named = _policy_ports(changed, dst) | _policy_ports(changed, before.pods[dst_ref])
            ports = ports_of[dst_ref] = sorted({*_ports(dst, named), *_ports(before.pods[dst_ref], named)})
        for number, protocol in ports:
            checked += 1
            was = old.allowed(before.pods[src_ref], before.pods[dst_ref], number, protocol)
            now = new.allowed(src, dst, number, protocol)
            if was == now:
                continue
            change = ALLOWED if now else DENIED
            key = (change, workload_of(src), workload_of(dst), number, protocol)
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(change, key[1], key[2], number, protocol, _port_name(dst, number, protocol))
                group.explanation = explain(after, Endpoint(pod=src), Endpoint(pod=dst), number, protocol).lines()
            group.count += 1
            if len(group.flows) < first:
                group.flows.append(Flow(src_ref, dst_ref, number, protocol))
    ordered = sorted(groups.values(), key=lambda g: (g.src, g.dst, g.port, g.protocol))
    return Impact(
        denied=[g for g in ordered if g.change == DENIED],
        allowed=[g for g in ordered if g.change == ALLOWED],
        affected_pods=affected,
        checked=checked,
    )


def policy_impact(world: World, policy: NetworkPolicy) -> Impact:
    """The impact of creating ``policy``, or of replacing the policy of the same namespace and name."""
    return impact(world, with_policy(world, policy))


def delete_impact(world: World, namespace: str, name: str) -> Impact:
    """The impact of deleting the policy ``namespace/name``."""
    return impact(world, without_policy(world, namespace, name))
