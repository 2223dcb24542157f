"""The cluster's World after a change is derived from the previous one (``snapshot.derived``):
policies compiled once per object, pods not read again when only policies changed. It must equal
a World built afresh, after any mix of policy, pod and namespace adds, changes and deletes, on
seeded synthetic worlds; and the lint, which reads pods only in the namespaces a peer names,
must find what reading every pod finds."""

from __future__ import annotations

import ipaddress
import random

import pytest

from app.analysis.snapshot import Compiled, derived
from app.bench.synthetic import synthetic_world
from app.policies.documents import Namespace, Pod
from app.policies.lint import lint
from app.policies.model import NetworkPolicy
from app.policies.reachability import Endpoint, World, compile_policy, peer_matches
from app.policies.services import Service


def same(a: World, b: World) -> None:
    assert a.namespaces == b.namespaces
    assert a.pods == b.pods
    assert a.policies == b.policies
    assert a.by_namespace == b.by_namespace
    assert a.sorted_pods() == b.sorted_pods()
    for ns in b.namespaces:
        assert a.namespace_pods(ns) == [p for p in b.pods.values() if p.namespace == ns]


def relabelled_policy(p: NetworkPolicy, rnd: random.Random) -> NetworkPolicy:
    doc = p.to_dict()
    doc["spec"]["podSelector"] = {"matchLabels": {"app": f"app{rnd.randrange(12)}"}}
    return NetworkPolicy.from_dict(doc)


def step(
    rnd: random.Random, namespaces: list[Namespace], pods: list[Pod], policies: list[NetworkPolicy], i: int
) -> tuple[list[Namespace], list[Pod], list[NetworkPolicy], bool]:
    """One random change; with whether pods or namespaces changed."""
    kind = rnd.choice(["policy-add", "policy-change", "policy-delete", "pod-add", "pod-change", "pod-delete",
                       "ns-add", "ns-change", "ns-delete"])  # fmt: skip
    namespaces, pods, policies = list(namespaces), list(pods), list(policies)
    if kind == "policy-add":
        ns = rnd.choice(namespaces).name
        policies.append(NetworkPolicy.from_dict({"metadata": {"name": f"new-{i}", "namespace": ns}, "spec": {
            "podSelector": {"matchLabels": {"tier": "db"}},
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "gold"}}}]}]}}))  # fmt: skip
    elif kind == "policy-change" and policies:
        j = rnd.randrange(len(policies))
        policies[j] = relabelled_policy(policies[j], rnd)
    elif kind == "policy-delete" and policies:
        policies.pop(rnd.randrange(len(policies)))
    elif kind == "pod-add":
        ns = rnd.choice(namespaces).name
        pods.append(Pod(ns, f"new-{i}", {"app": "app1", "tier": "web"}, f"10.9.0.{i % 250}", {"http": (80, "TCP")}))
    elif kind == "pod-change" and pods:
        j = rnd.randrange(len(pods))
        p = pods[j]
        pods[j] = Pod(p.namespace, p.name, {**p.labels, "tier": rnd.choice(["web", "api", "db"])}, p.pod_ip,
                      p.named_ports, p.ports)  # fmt: skip
    elif kind == "pod-delete" and pods:
        pods.pop(rnd.randrange(len(pods)))
    elif kind == "ns-add":
        namespaces.append(Namespace(f"ns-new-{i}", {"team": "gold"}))
    elif kind == "ns-change" and namespaces:
        j = rnd.randrange(len(namespaces))
        namespaces[j] = Namespace(namespaces[j].name, {"team": rnd.choice(["gold", "red"]), "env": "prod"})
    elif kind == "ns-delete" and len(namespaces) > 3:
        gone = namespaces.pop(rnd.randrange(len(namespaces))).name
        pods = [p for p in pods if p.namespace != gone]
        policies = [p for p in policies if p.namespace != gone]
    return namespaces, pods, policies, not kind.startswith("policy")


@pytest.mark.parametrize("seed", range(8))
def test_a_derived_world_equals_a_fresh_one_after_any_change(seed: int) -> None:
    rnd = random.Random(seed)
    namespaces, pods, policies = synthetic_world(pods=150, namespaces=8, policies=30, seed=seed)
    world, known = derived(None, namespaces, pods, policies)
    same(world, World(namespaces, pods, policies))
    kinds_changed = 0
    for i in range(40):
        namespaces, pods, policies, objects = step(rnd, namespaces, pods, policies, i)
        before: Compiled = dict(known)
        world, known = derived(world, namespaces, pods if objects else None, policies, known)
        same(world, World(namespaces, pods, policies))
        kinds_changed += objects
        # a policy object seen before is not compiled again
        for p in policies:
            if id(p) in before and before[id(p)][0] is p:
                assert known[id(p)][1] is before[id(p)][1]
        assert [entry[0] for entry in known.values()] == policies  # exactly the policies now, by identity
    assert 0 < kinds_changed < 40  # both paths were taken


def lint_by_every_pod(policy: NetworkPolicy, world: World) -> set[tuple[str, str]]:
    """The pod-reading findings, by their definitions over every pod of the World."""
    cp = compile_policy(policy)
    found = set()
    if not any(cp.selects(p) for p in world.pods.values()):
        found.add(("selects-no-pods", "spec.podSelector"))
    for direction, rules in (("ingress", cp.ingress or ()), ("egress", cp.egress or ())):
        key = "from" if direction == "ingress" else "to"
        for rule in rules:
            for peer in rule.peers or ():
                if peer.block is None and not any(
                    peer_matches(world, cp.namespace, peer, Endpoint(pod=p)) for p in world.pods.values()
                ):
                    found.add(("peer-matches-nothing", f"spec.{direction}[{rule.index}].{key}[{peer.index}]"))
            if direction == "ingress":
                pods = [p for p in world.pods.values() if cp.selects(p)]
            else:
                pods = [p for p in world.pods.values() if rule.peers is None or any(
                    peer_matches(world, cp.namespace, peer, Endpoint(pod=p)) for peer in rule.peers)]  # fmt: skip
            for i, port in enumerate(rule.ports or ()):
                if (
                    pods
                    and isinstance(port.port, str)
                    and not any(p.named_ports.get(port.port, (0, ""))[1] == port.protocol for p in pods)
                ):
                    found.add(("undefined-named-port", f"spec.{direction}[{rule.index}].ports[{i}]"))
    return found


@pytest.mark.parametrize("seed", range(6))
def test_the_lint_reads_only_some_pods_and_finds_the_same(seed: int) -> None:
    namespaces, pods, policies = synthetic_world(pods=150, namespaces=8, policies=40, seed=seed)
    # some pods lose their named ports, so that named ports go undefined
    pods = [p if i % 3 else Pod(p.namespace, p.name, p.labels, p.pod_ip, {}, p.ports) for i, p in enumerate(pods)]
    world = World(namespaces, pods, policies)
    rules = {"selects-no-pods", "peer-matches-nothing", "undefined-named-port"}
    seen = set()
    for policy in policies:
        got = {(f.id, f.field) for f in lint(policy, world) if f.id in rules}
        assert got == lint_by_every_pod(policy, world), policy.ref()
        seen |= {rule for rule, _ in got}
    assert seen, "no pod-reading finding at all: the comparison saw nothing"


def in_cluster_by_every_address(
    policy: NetworkPolicy, world: World, ranges: list[str], services: list[Service]
) -> list[tuple[str, str]]:
    """``ipblock-in-cluster`` by its definition: the first of the ranges, then of every pod's and
    Service's address, that the ipBlock overlaps and that no except holds."""
    cp = compile_policy(policy)
    addresses = [p.pod_ip for p in world.pods.values() if p.pod_ip] + [s.cluster_ip for s in services]
    nets = [ipaddress.ip_network(t, strict=False) for t in [*ranges, *addresses]]
    found = []
    for direction, rules in (("ingress", cp.ingress or ()), ("egress", cp.egress or ())):
        key = "from" if direction == "ingress" else "to"
        for rule in rules:
            for peer in rule.peers or ():
                if peer.block is None:
                    continue
                net = ipaddress.ip_network(peer.block.cidr, strict=False)
                excepts = [ipaddress.ip_network(e, strict=False) for e in peer.block.excepts]
                hit = next((n for n in nets if n.version == net.version and n.overlaps(net)
                            and not any(n.version == e.version and n.subnet_of(e) for e in excepts)), None)  # type: ignore[arg-type]  # fmt: skip
                if hit is not None:
                    found.append((f"spec.{direction}[{rule.index}].{key}[{peer.index}]", str(hit)))
    return found


@pytest.mark.parametrize("seed", range(6))
def test_the_in_cluster_ipblocks_are_found_by_index_as_by_every_address(seed: int) -> None:
    rnd = random.Random(seed)
    namespaces, pods, policies = synthetic_world(pods=300, namespaces=8, policies=60, seed=seed)
    world = World(namespaces, pods, policies)
    # ranges within a block, holding one, beside one; and addresses in and out of the excepts
    wide = ["172.16.0.0/16", "192.168.3.0/24", "10.0.3.0/24", "47.5.0.0/16", "172.0.0.0/8", "100.0.0.0/6", "10.0.0.0/8"]
    ranges = rnd.sample(wide, 3)
    services = [Service("ns-00", f"s{i}", cluster_ip=f"{rnd.choice([10, 172, 192])}.{rnd.randrange(4)}.{i}.1")
                for i in range(20)]  # fmt: skip
    hits = 0
    for policy in policies:
        got = [
            (f.field, f.message.params["range"])
            for f in lint(policy, world, services=services, implementation="eBPF", ranges=ranges)
            if f.id == "ipblock-in-cluster"
        ]
        assert got == in_cluster_by_every_address(policy, world, ranges, services), policy.ref()
        hits += len(got)
    assert hits
