"""The grouped matrix agrees with pairwise ``explain`` everywhere, on random and synthetic worlds."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli.bench import synthetic_world
from app.policies.documents import Namespace, Pod
from app.policies.matrix import matrix
from app.policies.model import NetworkPolicy
from app.policies.reachability import Endpoint, World, explain

KEYS = ["app", "tier"]
VALUES = ["a", "b"]
NAMESPACES = ["n1", "n2", "n3"]

labels_st = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2)
requirement_st = st.one_of(
    st.builds(
        lambda k, v: {"key": k, "operator": "In", "values": v},
        st.sampled_from(KEYS),
        st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True),
    ),
    st.builds(
        lambda k, v: {"key": k, "operator": "NotIn", "values": v},
        st.sampled_from(KEYS),
        st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True),
    ),
    st.builds(lambda k: {"key": k, "operator": "Exists"}, st.sampled_from(KEYS)),
    st.builds(lambda k: {"key": k, "operator": "DoesNotExist"}, st.sampled_from(KEYS)),
)
selector_st = st.one_of(
    st.just({}),
    st.builds(lambda m: {"matchLabels": m}, labels_st),
    st.builds(lambda e: {"matchExpressions": e}, st.lists(requirement_st, min_size=1, max_size=2)),
)
ns_selector_st = st.one_of(
    st.just({}),
    st.builds(lambda n: {"matchLabels": {"kubernetes.io/metadata.name": n}}, st.sampled_from(NAMESPACES)),
    st.builds(lambda v: {"matchLabels": {"team": v}}, st.sampled_from(VALUES)),
)
cidr_st = st.sampled_from(["10.0.0.0/30", "10.0.0.4/31", "10.0.0.0/24", "0.0.0.0/0", "192.168.0.0/16"])
peer_st = st.one_of(
    st.builds(lambda s: {"podSelector": s}, selector_st),
    st.builds(lambda n: {"namespaceSelector": n}, ns_selector_st),
    st.builds(lambda n, s: {"namespaceSelector": n, "podSelector": s}, ns_selector_st, selector_st),
    st.builds(
        lambda c, e: {"ipBlock": {"cidr": c, **({"except": e} if e else {})}},
        cidr_st,
        st.lists(st.sampled_from(["10.0.0.2/32", "10.0.0.4/30"]), max_size=1),
    ),
)
port_st = st.one_of(
    st.builds(
        lambda p, proto: {"port": p, "protocol": proto},
        st.sampled_from([80, 81, 53]),
        st.sampled_from(["TCP", "UDP"]),
    ),
    st.builds(lambda n: {"port": n}, st.sampled_from(["http", "dns"])),
    st.just({"port": 79, "endPort": 81}),
    st.just({"protocol": "UDP"}),
)
rule_st = st.fixed_dictionaries(
    {}, optional={"peers": st.lists(peer_st, max_size=2), "ports": st.lists(port_st, max_size=2)}
)
policy_st = st.tuples(
    st.sampled_from(NAMESPACES),
    selector_st,
    st.sampled_from([["Ingress"], ["Egress"], ["Ingress", "Egress"]]),
    st.lists(rule_st, max_size=2),
    st.lists(rule_st, max_size=2),
)
named_ports_st = st.dictionaries(
    st.sampled_from(["http", "dns"]),
    st.tuples(st.sampled_from([80, 81, 53]), st.sampled_from(["TCP", "UDP"])),
    max_size=2,
)
pod_st = st.tuples(
    st.sampled_from(NAMESPACES), labels_st, st.one_of(st.none(), st.integers(0, 7)), named_ports_st
)


def _rule(key: str, r: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "peers" in r:
        out[key] = r["peers"]
    if "ports" in r:
        out["ports"] = r["ports"]
    return out


def build_world(pods: list[Any], policies: list[Any], team_of_n2: str) -> World:
    namespaces = [Namespace("n1", {"team": "a"}), Namespace("n2", {"team": team_of_n2})]  # n3: implied
    pod_list = [
        Pod(ns, f"p{i}", labels, None if ip is None else f"10.0.0.{ip}", ports)
        for i, (ns, labels, ip, ports) in enumerate(pods)
    ]
    pol_list = []
    for i, (ns, selector, types, ingress, egress) in enumerate(policies):
        spec: dict[str, Any] = {
            "podSelector": selector,
            "policyTypes": types,
            "ingress": [_rule("from", r) for r in ingress],
            "egress": [_rule("to", r) for r in egress],
        }
        pol_list.append(
            NetworkPolicy.from_dict({"metadata": {"name": f"np{i}", "namespace": ns}, "spec": spec})
        )
    return World(namespaces, pod_list, pol_list)


def assert_matches_pairwise(world: World, port: int | str, protocol: str) -> None:
    m = matrix(world, port, protocol)
    pods = world.sorted_pods()
    assert m.pods == [p.ref for p in pods]
    for src in pods:
        for dst in pods:
            expected = explain(world, Endpoint(pod=src), Endpoint(pod=dst), port, protocol).allowed
            assert m.allowed(src.ref, dst.ref) == expected, (src.ref, dst.ref)
    # the rows read from the transposed bitsets say the same
    assert [row for _, row in m.rows()] == [[m.allowed(s.ref, d.ref) for d in pods] for s in pods]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pods=st.lists(pod_st, min_size=1, max_size=8),
    policies=st.lists(policy_st, max_size=4),
    team_of_n2=st.sampled_from(VALUES),
    port=st.sampled_from([80, 81, 53, "http", "dns"]),
    protocol=st.sampled_from(["TCP", "UDP"]),
)
def test_grouped_matrix_equals_pairwise_explain_on_random_worlds(
    pods: list[Any], policies: list[Any], team_of_n2: str, port: int | str, protocol: str
) -> None:
    assert_matches_pairwise(build_world(pods, policies, team_of_n2), port, protocol)


def test_grouped_matrix_equals_pairwise_explain_on_a_synthetic_world() -> None:
    world = World(*synthetic_world(pods=120, namespaces=5, policies=30, seed=7))
    for port, protocol in [(80, "TCP"), ("http", "TCP"), (53, "UDP")]:
        assert_matches_pairwise(world, port, protocol)


def test_pods_that_nothing_tells_apart_share_a_group() -> None:
    pods = [Pod("n1", f"p{i}", {"app": "a"}, f"10.0.0.{i}") for i in range(10)]
    pods += [Pod("n1", f"q{i}", {"app": "b"}, f"10.0.1.{i}") for i in range(10)]
    policy = NetworkPolicy.from_dict(
        {
            "metadata": {"name": "np", "namespace": "n1"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "a"}},
                "ingress": [{"from": [{"podSelector": {}}]}],
            },
        }
    )
    m = matrix(World([], pods, [policy]), 80)
    assert m.group_count == 2


def test_matrix_over_chosen_pods_and_as_dict_shape() -> None:
    world = World(
        [],
        [Pod("n1", "b", {"app": "b"}), Pod("n1", "a", {"app": "a"}), Pod("n2", "c")],
        [
            NetworkPolicy.from_dict(
                {
                    "metadata": {"name": "np", "namespace": "n1"},
                    "spec": {
                        "podSelector": {"matchLabels": {"app": "a"}},
                        "ingress": [{"from": [{"podSelector": {}}]}],
                    },
                }
            )
        ],
    )
    data = json.loads(json.dumps(matrix(world, 80).as_dict()))
    assert data["pods"] == ["n1/a", "n1/b", "n2/c"]
    assert data["allowed"]["n1/b"]["n1/a"] is True
    assert data["allowed"]["n2/c"]["n1/a"] is False
    assert data["allowed"]["n1/a"]["n2/c"] is True
    chosen = matrix(world, 80, pods=[world.pods["n2/c"], world.pods["n1/a"]])
    assert chosen.pods == ["n1/a", "n2/c"]
