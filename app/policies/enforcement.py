"""Does a Kubernetes answer hold on this cluster, as Terway enforces policies (issue 13 point 6)?

The Kubernetes verdict stays the Kubernetes verdict; this is the part beside it, from the
cluster's ``Enforcement`` (app/cluster/terway.py), the node each pod runs on and the cluster's
in-cluster address ranges:

- a pod on a node where policies are not enforced: its traffic is not filtered there, so neither
  an ingress deny for it nor its egress restrictions hold;
- under eBPF (Cilium) an ipBlock does not match pods inside the cluster (terway #904, cilium
  #9209): an allow that rests only on an ipBlock covering an in-cluster pod or address does not
  hold; podSelector / namespaceSelector match them;
- policies disabled: nothing is filtered; enforcement unknown: whether the answer holds is unknown.

``holds`` is True, False, or None (unknown); the notes are ``Words``. Pure: no I/O.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.policies.reachability import DirectionVerdict, Endpoint, RuleMatch, Verdict, World, parse_ip, peer_matches
from app.policies.words import N_, Words

if TYPE_CHECKING:  # the facts only: this module reads them, it never asks the cluster
    from app.cluster.terway import Enforcement

_EBPF_IPBLOCK = N_(
    "Under eBPF an ipBlock does not match pods or Services inside the cluster: {policy} allows {other} through "
    "ipBlock {cidr}, which Terway does not apply to it; use podSelector or namespaceSelector."
)
DISABLED = N_("Network policies are disabled on this cluster: no policy is enforced, so every connection is allowed.")
_IPBLOCK = re.compile(r"\[\d+\] ipBlock (\S+)")


@dataclass(frozen=True)
class Holding:
    """Whether the Kubernetes answer holds on this cluster, and why not."""

    holds: bool | None
    notes: tuple[Words, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"holds": self.holds, "notes": [str(n) for n in self.notes]}


def unenforced_pods(enforcement: Enforcement, nodes: Mapping[str, str]) -> dict[str, Words]:
    """``{pod ref: why its traffic is not filtered}`` for the pods (``{ref: node}``) that run on
    a node where policies are not enforced."""
    where = {u.node: u.reason for u in enforcement.unenforced}
    return {
        ref: Words(
            "{pod} runs on node {node}, where network policies are not enforced ({reason}): its traffic "
            "is not filtered there.",
            pod=ref,
            node=node,
            reason=where[node],
        )  # fmt: skip
        for ref, node in nodes.items()
        if node in where
    }


def _in_ranges(address: str, ranges: Iterable[str]) -> bool:
    ip = parse_ip(address)
    if ip is None:
        return False
    for text in ranges:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            continue
        if net.version == ip.version and ip in net:
            return True
    return False


def _selector_allows(world: World, m: RuleMatch, other: str) -> bool:
    """Does a podSelector / namespaceSelector peer of the rule behind ``m`` match ``other``
    (``RuleMatch`` names only the rule's first matching peer)?"""
    pod = world.pods.get(other)
    end = Endpoint(pod=pod) if pod is not None else Endpoint(ip=other)
    for cp in world.policies:
        if cp.ref != m.policy:
            continue
        for rule in cp.rules(m.direction) or ():
            if rule.index == m.rule and any(
                p.block is None and peer_matches(world, cp.namespace, p, end) for p in rule.peers or ()
            ):
                return True
    return False


def _pod_blocks(world: World, side: DirectionVerdict, other: str, in_cluster: bool) -> tuple[bool, list[RuleMatch]]:
    """Under eBPF: does this direction still allow once the ipBlock matches of an in-cluster peer
    are left out; and those matches."""
    if not in_cluster or not side.applicable or not side.selecting:
        return True, []
    blocks = [m for m in side.allowing if _IPBLOCK.match(m.peer) and not _selector_allows(world, m, other)]
    return len(side.allowing) > len(blocks), blocks


def judge_verdict(
    verdict: Verdict,
    world: World,
    enforcement: Enforcement,
    nodes: Mapping[str, str],
    ranges: Iterable[str] = (),
) -> Holding:
    """Does ``verdict`` (decided over ``world``) hold? ``nodes``: each pod's node by ``ns/name``;
    ``ranges``: the cluster's in-cluster address ranges (for an address end)."""
    if enforcement.state == "unknown":
        return _unknown(enforcement)
    if enforcement.state == "disabled":
        return Holding(verdict.allowed or verdict.resolved_port is None, (Words(DISABLED),))
    if verdict.resolved_port is None or verdict.to_itself:
        return Holding(True)
    notes: list[Words] = []
    open_ends = unenforced_pods(enforcement, {r: nodes[r] for r in (verdict.src, verdict.dst) if r in nodes})
    allowed: dict[str, bool] = {}
    ranges = tuple(ranges)
    for side, subject, other in (
        (verdict.egress, verdict.src, verdict.dst),
        (verdict.ingress, verdict.dst, verdict.src),
    ):
        if side.applicable and subject in open_ends:
            notes.append(open_ends[subject])
            allowed[side.direction] = True
            continue
        ok = side.allowed
        if enforcement.implementation == "eBPF":
            ok_ebpf, blocks = _pod_blocks(world, side, other, "/" in other or _in_ranges(other, ranges))
            for m in blocks if ok and not ok_ebpf else ():
                found = _IPBLOCK.match(m.peer)
                cidr = found.group(1) if found else m.peer
                notes.append(Words(_EBPF_IPBLOCK, policy=m.policy, other=other, cidr=cidr))
            ok = ok and ok_ebpf
        allowed[side.direction] = ok
    actual = all(allowed.values())
    return Holding(actual == verdict.allowed, tuple(dict.fromkeys(notes)))


def judge(
    verdicts: Iterable[Verdict],
    world: World,
    enforcement: Enforcement,
    nodes: Mapping[str, str],
    ranges: Iterable[str] = (),
) -> Holding:
    """The verdicts of one answer (one, or one per pod behind a Service) together: holds when
    each holds, unknown when one is unknown, else False; the notes of all, once each."""
    ranges = tuple(ranges)
    found = [judge_verdict(v, world, enforcement, nodes, ranges) for v in verdicts]
    if not found:  # a Service with nothing behind it: nothing to filter
        return _unknown(enforcement) if enforcement.state == "unknown" else Holding(True)
    notes = tuple(dict.fromkeys(n for h in found for n in h.notes))
    if any(h.holds is False for h in found):
        return Holding(False, notes)
    if any(h.holds is None for h in found):
        return Holding(None, notes)
    return Holding(True, notes)


def _unknown(enforcement: Enforcement) -> Holding:
    return Holding(None, (Words("Enforcement unknown: {why} Whether this answer holds on the cluster is unknown.",
                                why=enforcement.why),))  # fmt: skip


def selected_unenforced(enforcement: Enforcement, nodes: Mapping[str, str]) -> Words | None:
    """For a policy's review: a note when pods it selects (``{ref: node}``) run where policies
    are not enforced, or when policies are disabled."""
    if enforcement.state == "disabled":
        return Words("Network policies are disabled on this cluster: the policy is stored but not enforced.")
    where = {u.node: u.reason for u in enforcement.unenforced}
    pods = sorted(ref for ref, node in nodes.items() if node in where)
    if not pods:
        return None
    on = sorted({f"{nodes[r]} ({where[nodes[r]]})" for r in pods})
    return Words("The policy does not hold for these pods: {pods} run on nodes where network policies are not "
                 "enforced: {nodes}.", pods=", ".join(pods), nodes="; ".join(on))  # fmt: skip
