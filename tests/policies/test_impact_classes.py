"""``impact`` decides pairs by class of pods; this holds it to the definition, pair by pair, on
seeded synthetic worlds and random changes: every flow between an affected pod and any other,
on each port the destination is checked on, decided in both worlds."""

from __future__ import annotations

import random
from typing import Any

import pytest

from app.bench.synthetic import synthetic_world
from app.policies import impact as im
from app.policies.documents import Pod
from app.policies.model import NetworkPolicy
from app.policies.reachability import EGRESS, INGRESS, Endpoint, World, explain, peer_matches


def decide(world: World, src: Pod, dst: Pod, number: int, protocol: str) -> bool:
    """The definition: egress of the source and ingress of the destination both allow it."""
    if src.ref == dst.ref:
        return True
    for subject, other, direction in ((src, dst, EGRESS), (dst, src, INGRESS)):
        policies = world.selecting(subject, direction)
        if policies and not any(
            (rule.ports is None or any(pm.matches(protocol, number, dst.named_ports) for pm in rule.ports))
            and (rule.peers is None
                 or any(peer_matches(world, cp.namespace, p, Endpoint(pod=other)) for p in rule.peers))
            for cp in policies
            for rule in cp.rules(direction) or ()
        ):  # fmt: skip
            return False
    return True


def pairwise(before: World, after: World) -> dict[str, Any]:
    affected = im.affected_pods(before, after)
    changed = im._changed_policies(before, after)
    relabelled = im._relabelled(before, after)
    if relabelled:
        changed = [*changed, *im._concerning(before, relabelled), *im._concerning(after, relabelled)]
    refs = sorted(set(before.pods) & set(after.pods))
    groups: dict[tuple[str, str, str, int, str], im.Group] = {}
    checked = 0
    pairs = sorted({(o, a) for a in affected for o in refs} | {(a, o) for a in affected for o in refs})
    for s, d in pairs:
        if s == d:
            continue
        named = im._policy_ports(changed, after.pods[d]) | im._policy_ports(changed, before.pods[d])
        ports = sorted({*im._ports(after.pods[d], named), *im._ports(before.pods[d], named)})
        for number, protocol in ports:
            checked += 1
            was = decide(before, before.pods[s], before.pods[d], number, protocol)
            now = decide(after, after.pods[s], after.pods[d], number, protocol)
            if was == now:
                continue
            src, dst = after.pods[s], after.pods[d]
            key = (im.ALLOWED if now else im.DENIED, im.workload_of(src), im.workload_of(dst), number, protocol)
            group = groups.get(key)
            if group is None:
                group = groups[key] = im.Group(*key, port_name=im._port_name(dst, number, protocol))
                group.explanation = explain(after, Endpoint(pod=src), Endpoint(pod=dst), number, protocol).lines()
            group.count += 1
            if len(group.flows) < im.FIRST:
                group.flows.append(im.Flow(s, d, number, protocol))
    ordered = sorted(groups.values(), key=lambda g: (g.src, g.dst, g.port, g.protocol))
    return im.Impact([g for g in ordered if g.change == im.DENIED], [g for g in ordered if g.change == im.ALLOWED],
                     affected, checked).as_dict()  # fmt: skip


def world(seed: int) -> World:
    namespaces, pods, policies = synthetic_world(pods=120, namespaces=6, policies=25, seed=seed)
    # pods of one "Deployment" share labels, as a ReplicaSet's do, so that classes hold several pods;
    # and labels no selector reads (a zone) must not tell pods apart
    shared = [Pod(p.namespace, p.name, {**p.labels, "zone": f"z{i % 4}", **({"pod-template-hash": "abcde"} if i % 3
                  else {})}, p.pod_ip, p.named_ports, p.ports) for i, p in enumerate(pods)]  # fmt: skip
    return World(namespaces, shared, policies)


@pytest.mark.parametrize("seed", range(6))
def test_by_class_equals_pair_by_pair(seed: int) -> None:
    rnd = random.Random(seed)
    before = world(seed)
    ns = sorted(before.namespaces)
    policy = NetworkPolicy.from_dict({
        "metadata": {"name": "change", "namespace": rnd.choice(ns)},
        "spec": {"podSelector": {"matchLabels": {"tier": rnd.choice(["web", "api", "db"])}},
                 "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "app3"}}},
                                       {"ipBlock": {"cidr": "10.0.0.0/26"}}], "ports": [{"port": 80}]}],
                 "egress": [{"to": [{"namespaceSelector": {}}], "ports": [{"port": "http"}]}]},
    })  # fmt: skip
    victim = rnd.choice(before.policies)
    relabel_ns = rnd.choice(ns)
    pods = [r for r in sorted(before.pods) if before.pods[r].namespace == relabel_ns][:4]
    changes = [
        im.with_policy(before, policy),
        im.without_policy(before, victim.namespace, victim.name),
        im.with_namespace_labels(before, relabel_ns, {"team": "gold", "env": "prod"}),
        im.with_pod_labels(before, pods, {"tier": before.pods[pods[0]].labels.get("tier", "")}, {"tier": "db"}),
    ]
    for after in changes:
        fast, slow = im.impact(before, after).as_dict(), pairwise(before, after)
        assert fast == slow
    assert any(not im.impact(before, after).unchanged for after in changes)  # the comparison saw changes
