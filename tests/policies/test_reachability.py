"""Reachability: upstream's e2e model (namespaces x, y, z; pods a, b, c; ports 80/81) and unit cases.

Each ``test_upstream_*`` carries the facts of one case of kubernetes/kubernetes
test/e2e/network/netpol/network_policy.go: the same pods, the same policies (built the way its
GenNetworkPolicy/SetSpecIngressRules/SetSpecEgressRules build them), and the same expected truth
table. As upstream does (ignoreLoopback), a pod's connection to itself is not compared.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.errors import BadRequest, NotFound
from app.policies.documents import Namespace, Pod
from app.policies.matrix import matrix
from app.policies.model import NetworkPolicy
from app.policies.reachability import Endpoint, World, explain, parse_ref

NS_INDEX = {"x": 0, "y": 1, "z": 2}
NAME = "kubernetes.io/metadata.name"


def model_pod(ref: str, labels: dict[str, str] | None = None) -> Pod:
    """A pod of upstream's model: label pod=<name>, a container per port and protocol."""
    ns, name = ref.split("/")
    ports = {
        f"serve-{port}-{proto.lower()}": (port, proto)
        for port in (80, 81)
        for proto in ("TCP", "UDP", "SCTP")
    }
    ip = f"10.96.{NS_INDEX[ns]}.{'abc'.index(name) + 1}"
    return Pod(ns, name, labels if labels is not None else {"pod": name}, ip, ports)


def netpol(
    name: str,
    ns: str = "x",
    pod_labels: dict[str, str] | None = None,
    selector: dict[str, Any] | None = None,
    ingress: list[dict[str, Any]] | None = None,
    egress: list[dict[str, Any]] | None = None,
    policy_types: list[str] | None = None,
) -> NetworkPolicy:
    """Like upstream's GenNetworkPolicyWithNameAndPod*: each Set*Rules adds its policy type."""
    spec: dict[str, Any] = {
        "podSelector": selector
        if selector is not None
        else ({"matchLabels": pod_labels} if pod_labels else {})
    }
    types = []
    if ingress is not None:
        spec["ingress"] = ingress
        types.append("Ingress")
    if egress is not None:
        spec["egress"] = egress
        types.append("Egress")
    spec["policyTypes"] = policy_types or types
    return NetworkPolicy.from_dict(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns},
            "spec": spec,
        }
    )


class Truth:
    """Upstream's Reachability: every pair starts as ``default``; Expect* override."""

    def __init__(self, pods: list[str], default: bool = True) -> None:
        self.pods = pods
        self.table = {(s, d): default for s in pods for d in pods}

    def expect(self, src: str, dst: str, value: bool) -> Truth:
        self.table[(src, dst)] = value
        return self

    def expect_peer(self, value: bool, src: str = "", dst: str = "") -> Truth:
        """``src``/``dst``: "" any pod, "x" a namespace, "x/a" a pod (upstream's Peer)."""
        for s, d in self.table:
            if _peer(src, s) and _peer(dst, d):
                self.table[(s, d)] = value
        return self

    def all_ingress(self, dst: str, value: bool) -> Truth:
        return self.expect_peer(value, dst=dst)

    def all_egress(self, src: str, value: bool) -> Truth:
        return self.expect_peer(value, src=src)


def _peer(spec: str, pod: str) -> bool:
    return spec == "" or spec == pod or spec == pod.split("/")[0]


def model_world(
    pods: list[str],
    policies: list[NetworkPolicy],
    ns_labels: dict[str, dict[str, str]] | None = None,
    pod_labels: dict[str, dict[str, str]] | None = None,
) -> World:
    namespaces = [Namespace(ns, (ns_labels or {}).get(ns, {})) for ns in "xyz"]
    return World(namespaces, [model_pod(p, (pod_labels or {}).get(p)) for p in pods], policies)


def assert_truth(world: World, truth: Truth, port: int | str, protocol: str = "TCP") -> None:
    m = matrix(world, port, protocol)
    wrong = []
    for (s, d), expected in truth.table.items():
        if s == d:
            continue  # upstream ignores loopback
        got = explain(world, parse_ref(world, s), parse_ref(world, d), port, protocol).allowed
        if got != expected or m.allowed(s, d) != expected:
            wrong.append(f"{s}->{d}: expected {expected}, explain {got}, matrix {m.allowed(s, d)}")
    assert wrong == []


def ns_in(*names: str) -> dict[str, Any]:
    return {"matchExpressions": [{"key": NAME, "operator": "In", "values": list(names)}]}


def ns_not_in(*names: str) -> dict[str, Any]:
    return {"matchExpressions": [{"key": NAME, "operator": "NotIn", "values": list(names)}]}


def ns_is(name: str) -> dict[str, Any]:
    return {"matchLabels": {NAME: name}}


def pod_is(name: str) -> dict[str, Any]:
    return {"matchLabels": {"pod": name}}


# --- upstream's cases -------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["TCP", "UDP", "SCTP"])
def test_upstream_default_deny_ingress(protocol: str) -> None:
    pods = ["x/a", "x/b", "y/a", "y/b"]
    world = model_world(pods, [netpol("deny-ingress", ingress=[])])
    assert_truth(world, Truth(pods).expect_peer(False, dst="x"), 80, protocol)


def test_upstream_default_deny_all() -> None:
    pods = ["x/a", "x/b", "y/a"]
    world = model_world(pods, [netpol("deny-all", ingress=[], egress=[])])
    assert_truth(world, Truth(pods).expect_peer(False, dst="x").expect_peer(False, src="x"), 80)


def test_upstream_allow_from_pods_in_server_namespace_by_pod_selector() -> None:
    pods = ["x/a", "x/b", "x/c", "y/a"]
    world = model_world(
        pods,
        [
            netpol(
                "x-a-allows-x-b", pod_labels={"pod": "a"}, ingress=[{"from": [{"podSelector": pod_is("b")}]}]
            )
        ],
    )
    assert_truth(world, Truth(pods).all_ingress("x/a", False).expect("x/b", "x/a", True), 80)


def test_upstream_allow_ingress_for_a_target() -> None:
    pods = ["x/a", "x/b", "y/a"]
    world = model_world(
        pods,
        [
            netpol("deny-all", ingress=[]),
            netpol(
                "allow-all-to-a",
                pod_labels={"pod": "a"},
                ingress=[{"from": [{"podSelector": {}, "namespaceSelector": {}}]}],
            ),
        ],
    )
    assert_truth(world, Truth(pods).all_ingress("x/a", True).all_ingress("x/b", False), 80)


def test_upstream_allow_ingress_from_all_namespaces() -> None:
    pods = ["x/a", "x/b", "y/a", "z/a"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-from-another-ns",
                pod_labels={"pod": "a"},
                ingress=[{"from": [{"namespaceSelector": {"matchLabels": {}}}]}],
            )
        ],
    )
    assert_truth(world, Truth(pods), 80)


@pytest.mark.parametrize("ns_selector", [ns_is("y"), ns_in("y")], ids=["matchLabels", "matchExpressions"])
def test_upstream_allow_only_from_other_namespace_by_namespace_selector(ns_selector: dict[str, Any]) -> None:
    pods = ["x/a", "x/b", "y/a", "z/a"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-client-a-via-ns-selector",
                pod_labels={"pod": "a"},
                ingress=[{"from": [{"namespaceSelector": ns_selector}]}],
            )
        ],
    )
    assert_truth(world, Truth(pods).expect_peer(False, "x", "x/a").expect_peer(False, "z", "x/a"), 80)


def test_upstream_pod_selector_with_match_expressions() -> None:
    pods = ["x/a", "x/b", "y/a"]
    sel = {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["b"]}]}
    world = model_world(
        pods, [netpol("x-a-allows-x-b", pod_labels={"pod": "a"}, ingress=[{"from": [{"podSelector": sel}]}])]
    )
    assert_truth(world, Truth(pods).all_ingress("x/a", False).expect("x/b", "x/a", True), 80)


def test_upstream_pod_selector_or_namespace_selector() -> None:
    pods = ["x/a", "x/b", "x/c", "y/a"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-ns-y-match-selector",
                pod_labels={"pod": "a"},
                ingress=[{"from": [{"namespaceSelector": ns_not_in("x")}, {"podSelector": pod_is("b")}]}],
            )
        ],
    )
    assert_truth(world, Truth(pods).expect("x/a", "x/a", False).expect("x/c", "x/a", False), 80)


def test_upstream_pod_selector_and_namespace_selector() -> None:
    pods = ["x/a", "x/b", "y/a", "y/b", "z/b"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-ns-y-podselector-and-nsselector",
                pod_labels={"pod": "a"},
                ingress=[{"from": [{"namespaceSelector": ns_not_in("x"), "podSelector": pod_is("b")}]}],
            )
        ],
    )
    truth = Truth(pods).all_ingress("x/a", False).expect("y/b", "x/a", True).expect("z/b", "x/a", True)
    assert_truth(world, truth, 80)


def test_upstream_multiple_pod_selectors_and_namespace_selectors() -> None:
    pods = ["x/a", "x/b", "y/a", "y/b", "y/c"]
    pods_bc = {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["b", "c"]}]}
    world = model_world(
        pods,
        [
            netpol(
                "allow-ns-y-z-pod-b-c",
                pod_labels={"pod": "a"},
                ingress=[{"from": [{"namespaceSelector": ns_not_in("x"), "podSelector": pods_bc}]}],
            )
        ],
    )
    assert_truth(world, Truth(pods).expect_peer(False, "x", "x/a").expect("y/a", "x/a", False), 80)


def test_upstream_any_pod_selectors() -> None:
    pods = ["x/a", "x/b", "x/c"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-ns-x-pod-b-c",
                pod_labels={"pod": "a"},
                ingress=[{"from": [{"podSelector": pod_is("b")}, {"podSelector": pod_is("c")}]}],
            )
        ],
    )
    truth = Truth(pods).all_ingress("x/a", False).expect("x/b", "x/a", True).expect("x/c", "x/a", True)
    assert_truth(world, truth, 80)


@pytest.mark.parametrize("protocol", ["TCP", "UDP", "SCTP"])
def test_upstream_only_from_pod_in_other_namespace_by_pod_and_namespace_selector(protocol: str) -> None:
    pods = ["x/a", "x/b", "y/a", "y/b", "z/a"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-ns-y-pod-a-via-namespace-pod-selector",
                pod_labels={"pod": "a"},
                ingress=[{"from": [{"namespaceSelector": ns_is("y"), "podSelector": pod_is("a")}]}],
            )
        ],
    )
    assert_truth(world, Truth(pods).all_ingress("x/a", False).expect("y/a", "x/a", True), 80, protocol)


@pytest.mark.parametrize("protocol", ["TCP", "UDP", "SCTP"])
def test_upstream_policy_based_on_ports(protocol: str) -> None:
    pods = ["x/a", "x/b", "y/a", "y/b", "z/a"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-client-a-via-ns-selector",
                pod_labels={"pod": "a"},
                ingress=[
                    {
                        "from": [{"namespaceSelector": ns_is("y")}],
                        "ports": [{"port": 81, "protocol": protocol}],
                    }
                ],
            )
        ],
    )
    truth = (
        Truth(pods)
        .expect_peer(False, "x", "x/a")
        .expect_peer(True, "y", "x/a")
        .expect_peer(False, "z", "x/a")
    )
    assert_truth(world, truth, 81, protocol)


def test_upstream_stacked_policies_with_overlapping_pod_selectors() -> None:
    pods = ["x/a", "x/b", "y/a", "y/b", "z/a"]

    def allow(name: str, port: int) -> NetworkPolicy:
        return netpol(
            name,
            pod_labels={"pod": "a"},
            ingress=[
                {"from": [{"namespaceSelector": ns_is("y")}], "ports": [{"port": port, "protocol": "TCP"}]}
            ],
        )

    allow_y = (
        Truth(pods)
        .expect_peer(False, "x", "x/a")
        .expect_peer(True, "y", "x/a")
        .expect_peer(False, "z", "x/a")
    )
    one = model_world(pods, [allow("allow-client-a-via-ns-selector", 81)])
    assert_truth(one, allow_y, 81)
    assert_truth(one, Truth(pods).all_ingress("x/a", False), 80)
    two = model_world(
        pods, [allow("allow-client-a-via-ns-selector", 81), allow("allow-client-a-via-ns-selector-80", 80)]
    )
    assert_truth(two, allow_y, 80)


def test_upstream_allow_all_policy() -> None:
    pods = ["x/a", "x/b", "y/a"]
    world = model_world(pods, [netpol("allow-all", ingress=[{}])])
    assert_truth(world, Truth(pods), 80)
    assert_truth(world, Truth(pods), 81)


def test_upstream_allow_ingress_on_one_named_port() -> None:
    pods = ["x/a", "x/b", "y/a"]
    world = model_world(pods, [netpol("allow-all", ingress=[{"ports": [{"port": "serve-81-tcp"}]}])])
    assert_truth(world, Truth(pods), 81)
    assert_truth(world, Truth(pods).expect_peer(False, dst="x"), 80)


def test_upstream_allow_ingress_from_namespace_on_one_named_port() -> None:
    pods = ["x/a", "x/b", "y/a", "z/a"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-client-a-via-ns-selector-80",
                pod_labels={"pod": "a"},
                ingress=[
                    {
                        "from": [{"namespaceSelector": ns_is("y")}],
                        "ports": [{"port": "serve-80-tcp", "protocol": "TCP"}],
                    }
                ],
            )
        ],
    )
    assert_truth(world, Truth(pods).expect_peer(False, "x", "x/a").expect_peer(False, "z", "x/a"), 80)
    assert_truth(world, Truth(pods).all_ingress("x/a", False), 81)


def test_upstream_allow_egress_on_one_named_port() -> None:
    pods = ["x/a", "y/a"]
    world = model_world(pods, [netpol("allow-egress", egress=[{"ports": [{"port": "serve-80-tcp"}]}])])
    assert_truth(world, Truth(pods), 80)
    assert_truth(world, Truth(pods).expect_peer(False, src="x"), 81)


def test_upstream_enforce_updated_policy() -> None:
    pods = ["x/a", "y/a"]
    assert_truth(model_world(pods, [netpol("allow-all-mutate-to-deny-all", ingress=[{}])]), Truth(pods), 81)
    denied = model_world(pods, [netpol("allow-all-mutate-to-deny-all", ingress=[])])
    assert_truth(denied, Truth(pods).expect_peer(False, dst="x"), 81)


def test_upstream_allow_ingress_from_updated_namespace() -> None:
    pods = ["x/a", "y/a"]
    policy = netpol(
        "allow-client-a-via-ns-selector",
        pod_labels={"pod": "a"},
        ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"ns2": "updated"}}}]}],
    )
    assert_truth(model_world(pods, [policy]), Truth(pods).all_ingress("x/a", False), 80)
    updated = model_world(pods, [policy], ns_labels={"y": {"ns2": "updated"}})
    assert_truth(updated, Truth(pods).all_ingress("x/a", False).expect_peer(True, src="y"), 80)


def test_upstream_allow_ingress_from_updated_pod() -> None:
    pods = ["x/a", "x/b"]
    policy = netpol(
        "allow-client-a-via-pod-selector",
        pod_labels={"pod": "a"},
        ingress=[{"from": [{"podSelector": {"matchLabels": {"pod": "b", "pod2": "updated"}}}]}],
    )
    assert_truth(model_world(pods, [policy]), Truth(pods).all_ingress("x/a", False), 80)
    updated = model_world(pods, [policy], pod_labels={"x/b": {"pod": "b", "pod2": "updated"}})
    assert_truth(updated, Truth(pods).all_ingress("x/a", False).expect("x/b", "x/a", True), 80)


def test_upstream_deny_ingress_from_pods_in_other_namespaces() -> None:
    pods = ["x/a", "x/b", "y/a", "z/a"]
    world = model_world(
        pods, [netpol("deny-empty-policy", ingress=[{"from": [{"podSelector": {"matchLabels": {}}}]}])]
    )
    assert_truth(world, Truth(pods).expect_peer(False, "y", "x").expect_peer(False, "z", "x"), 80)


def test_upstream_deny_ingress_to_updated_pod() -> None:
    pods = ["x/a", "y/a"]
    policy = netpol("deny-ingress-via-label-selector", pod_labels={"target": "isolated"}, ingress=[])
    assert_truth(model_world(pods, [policy]), Truth(pods), 80)
    isolated = model_world(pods, [policy], pod_labels={"x/a": {"pod": "a", "target": "isolated"}})
    assert_truth(isolated, Truth(pods).all_ingress("x/a", False), 80)


def test_upstream_deny_egress_by_pod_selector() -> None:
    pods = ["x/a", "x/b", "y/a"]
    world = model_world(pods, [netpol("deny-egress-pod-a", pod_labels={"pod": "a"}, egress=[])])
    assert_truth(world, Truth(pods).all_egress("x/a", False), 80)


def test_upstream_deny_egress_from_all_pods_in_namespace() -> None:
    pods = ["x/a", "x/b", "y/a"]
    world = model_world(pods, [netpol("deny-egress-ns-x", egress=[])])
    assert_truth(world, Truth(pods).expect_peer(False, src="x"), 80)


def test_upstream_ingress_and_egress_together() -> None:
    pods = ["x/a", "x/b", "x/c", "y/a"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-client-a-via-pod-selector",
                pod_labels={"pod": "a"},
                ingress=[{"from": [{"podSelector": pod_is("b")}]}],
                egress=[{"ports": [{"port": 80}]}],
                policy_types=["Egress", "Ingress"],
            )
        ],
    )
    assert_truth(world, Truth(pods).all_ingress("x/a", False).expect("x/b", "x/a", True), 80)
    truth81 = Truth(pods).all_ingress("x/a", False).all_egress("x/a", False).expect("x/b", "x/a", True)
    assert_truth(world, truth81, 81)


def test_upstream_egress_denied_on_client_even_if_server_allows() -> None:
    pods = ["x/a", "y/a", "y/b"]
    from_xa = [{"from": [{"namespaceSelector": ns_is("x"), "podSelector": pod_is("a")}]}]
    world = model_world(
        pods,
        [
            netpol(
                "allow-to-ns-y-pod-a",
                pod_labels={"pod": "a"},
                egress=[{"to": [{"namespaceSelector": ns_is("y"), "podSelector": pod_is("a")}]}],
            ),
            netpol("allow-from-xa-on-ya-match-selector", "y", pod_labels={"pod": "a"}, ingress=from_xa),
            netpol("allow-from-xa-on-yb-match-selector", "y", pod_labels={"pod": "b"}, ingress=from_xa),
        ],
    )
    truth = (
        Truth(pods)
        .expect_peer(False, src="x/a")
        .expect_peer(False, dst="y/a")
        .expect_peer(True, "x/a", "y/a")
        .expect_peer(False, dst="y/b")
    )
    assert_truth(world, truth, 80)


def test_upstream_egress_to_server_in_other_namespace_by_pod_and_namespace_selector() -> None:
    pods = ["x/a", "y/a", "y/b"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-to-ns-y-pod-a",
                pod_labels={"pod": "a"},
                egress=[{"to": [{"namespaceSelector": ns_is("y"), "podSelector": pod_is("a")}]}],
            )
        ],
    )
    assert_truth(world, Truth(pods).all_egress("x/a", False).expect("x/a", "y/a", True), 80)


def test_upstream_ingress_any_port_on_a_protocol() -> None:
    pods = ["x/a", "y/a"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-ingress-by-proto", pod_labels={"pod": "a"}, ingress=[{"ports": [{"protocol": "TCP"}]}]
            )
        ],
    )
    assert_truth(world, Truth(pods), 80, "TCP")
    assert_truth(world, Truth(pods).expect_peer(False, dst="x/a"), 80, "UDP")


def test_upstream_ingress_allow_all_takes_precedence() -> None:
    pods = ["x/a", "y/a"]
    only80 = netpol("allow-ingress-port-80", ingress=[{"ports": [{"port": 80}]}])
    assert_truth(model_world(pods, [only80]), Truth(pods).expect_peer(False, dst="x"), 81)
    assert_truth(model_world(pods, [only80, netpol("allow-ingress", ingress=[{}])]), Truth(pods), 81)


def test_upstream_egress_allow_all_takes_precedence() -> None:
    pods = ["x/a", "y/a"]
    only80 = netpol("allow-egress-port-80", egress=[{"ports": [{"port": 80}]}])
    assert_truth(model_world(pods, [only80]), Truth(pods).expect_peer(False, src="x"), 81)
    assert_truth(model_world(pods, [only80, netpol("allow-egress", egress=[{}])]), Truth(pods), 81)


def test_upstream_stop_enforcing_after_policies_deleted() -> None:
    pods = ["x/a", "y/a"]
    deny = model_world(pods, [netpol("deny-all", ingress=[], egress=[])])
    assert_truth(deny, Truth(pods).expect_peer(False, src="x").expect_peer(False, dst="x"), 80)
    assert_truth(model_world(pods, []), Truth(pods), 80)


def test_upstream_allow_egress_to_server_in_cidr_block() -> None:
    pods = ["x/a", "y/a", "y/b"]
    yb_ip = model_pod("y/b").pod_ip
    world = model_world(
        pods,
        [
            netpol(
                "allow-client-a-via-cidr-egress-rule",
                pod_labels={"pod": "a"},
                egress=[{"to": [{"ipBlock": {"cidr": f"{yb_ip}/32"}}]}],
            )
        ],
    )
    assert_truth(world, Truth(pods).all_egress("x/a", False).expect("x/a", "y/b", True), 80)


def test_upstream_except_clause_and_overlap_with_a_second_policy() -> None:
    pods = ["x/a", "x/b", "x/c"]
    xb_ip = model_pod("x/b").pod_ip
    large = netpol(
        "allow-client-a-via-cidr-egress-rule",
        pod_labels={"pod": "a"},
        egress=[{"to": [{"ipBlock": {"cidr": f"{xb_ip}/4", "except": [f"{xb_ip}/32"]}}]}],
    )  # makeLargeCIDRForIP: /4
    assert_truth(model_world(pods, [large]), Truth(pods).expect("x/a", "x/b", False), 80)
    # Upstream then *updates* the same policy to allow exactly x/b.
    only_b = netpol(
        "allow-client-a-via-cidr-egress-rule",
        pod_labels={"pod": "a"},
        egress=[{"to": [{"ipBlock": {"cidr": f"{xb_ip}/32"}}]}],
    )
    assert_truth(
        model_world(pods, [only_b]), Truth(pods).all_egress("x/a", False).expect("x/a", "x/b", True), 80
    )


def test_upstream_ingress_and_egress_controlled_independently() -> None:
    pods = ["x/a", "x/b", "y/a"]
    allow_egress = netpol("allow-egress-for-target", pod_labels={"pod": "a"}, egress=[{}])
    assert_truth(model_world(pods, [allow_egress]), Truth(pods), 80)
    deny_ingress = netpol("deny-ingress-via-label-selector", pod_labels={"pod": "a"}, ingress=[])
    assert_truth(model_world(pods, [allow_egress, deny_ingress]), Truth(pods).all_ingress("x/a", False), 80)


def test_upstream_sctp_is_not_tcp() -> None:
    pods = ["x/a", "y/a"]
    world = model_world(
        pods,
        [
            netpol("deny-ingress", ingress=[]),
            netpol(
                "allow-only-sctp-ingress-on-port-81",
                pod_labels={"pod": "a"},
                ingress=[{"ports": [{"port": 81, "protocol": "SCTP"}]}],
            ),
        ],
    )
    assert_truth(world, Truth(pods).expect_peer(False, dst="x"), 81, "TCP")


def test_upstream_sctp_policy_still_isolates_for_tcp() -> None:
    pods = ["x/a", "y/a"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-only-sctp-ingress-on-port-80",
                pod_labels={"pod": "a"},
                ingress=[{"ports": [{"port": 80, "protocol": "SCTP"}]}],
            )
        ],
    )
    assert_truth(world, Truth(pods).all_ingress("x/a", False), 81, "TCP")


def test_upstream_udp_only_policy_does_not_allow_tcp() -> None:
    pods = ["x/a", "y/a"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-only-udp-ingress-on-port-81",
                pod_labels={"pod": "a"},
                ingress=[{"ports": [{"port": 81, "protocol": "UDP"}]}],
            )
        ],
    )
    assert_truth(world, Truth(pods).all_ingress("x/a", False), 81, "TCP")
    assert_truth(world, Truth(pods), 81, "UDP")


def test_upstream_egress_by_namespace_selector_with_default_label_expressions() -> None:
    pods = ["x/a", "x/b", "y/a", "z/a"]
    world = model_world(
        pods,
        [
            netpol(
                "allow-ns-y-match-selector-for-immutable-ns-label",
                pod_labels={"pod": "a"},
                egress=[{"to": [{"namespaceSelector": ns_not_in("y")}]}],
            )
        ],
    )
    assert_truth(world, Truth(pods).expect_peer(False, "x/a", "y"), 80)


# --- unit cases for each rule -------------------------------------------------------------------


def pod(
    ref: str,
    labels: dict[str, str] | None = None,
    ip: str | None = "10.0.0.1",
    ports: dict[str, tuple[int, str]] | None = None,
) -> Pod:
    ns, name = ref.split("/")
    return Pod(ns, name, labels or {}, ip, ports or {})


def verdict(world: World, src: str, dst: str, port: int | str = 80, protocol: str = "TCP") -> Any:
    return explain(world, parse_ref(world, src), parse_ref(world, dst), port, protocol)


def test_namespace_always_carries_its_name_label() -> None:
    assert Namespace("prod").labels == {NAME: "prod"}
    assert Namespace("prod", {NAME: "other", "team": "a"}).labels == {NAME: "prod", "team": "a"}
    assert Namespace.from_dict({"metadata": {"name": "q"}}).labels == {NAME: "q"}


def test_a_pods_namespace_missing_from_the_input_still_matches_by_name() -> None:
    world = World(
        [],
        [pod("x/a", {"app": "a"}), pod("y/b", ip="10.0.0.2")],
        [netpol("from-y", pod_labels={"app": "a"}, ingress=[{"from": [{"namespaceSelector": ns_is("y")}]}])],
    )
    assert verdict(world, "y/b", "x/a").allowed


def test_unselected_pod_is_unrestricted_and_selection_isolates() -> None:
    world = World(
        [],
        [pod("x/a", {"app": "a"}), pod("x/b", {"app": "b"}, "10.0.0.2")],
        [netpol("deny-a", pod_labels={"app": "a"}, ingress=[])],
    )
    assert verdict(world, "x/a", "x/b").allowed
    v = verdict(world, "x/b", "x/a")
    assert not v.allowed and v.ingress.selecting == ["x/deny-a"] and not v.egress.isolated


def test_policy_types_default_to_ingress_plus_egress_when_egress_rules_exist() -> None:
    policy = NetworkPolicy.from_dict(
        {
            "metadata": {"name": "eg", "namespace": "x"},
            "spec": {"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "1.2.3.0/24"}}]}]},
        }
    )
    world = World([], [pod("x/a"), pod("y/b", ip="10.0.0.2")], [policy])
    assert not verdict(world, "y/b", "x/a").allowed  # ingress isolated by the defaulted policyTypes
    assert verdict(world, "x/a", "1.2.3.4").allowed
    assert not verdict(world, "x/a", "y/b").allowed


def test_explicit_egress_only_policy_type_leaves_ingress_rules_unused() -> None:
    policy = netpol("eg", ingress=[], egress=[{}], policy_types=["Egress"])
    world = World([], [pod("x/a"), pod("y/b", ip="10.0.0.2")], [policy])
    assert verdict(world, "y/b", "x/a").allowed


def test_pod_selector_alone_means_the_policys_namespace() -> None:
    world = World(
        [],
        [pod("x/a", {"app": "a"}), pod("x/b", {"role": "c"}), pod("y/b", {"role": "c"})],
        [
            netpol(
                "p",
                pod_labels={"app": "a"},
                ingress=[{"from": [{"podSelector": {"matchLabels": {"role": "c"}}}]}],
            )
        ],
    )
    assert verdict(world, "x/b", "x/a").allowed
    assert not verdict(world, "y/b", "x/a").allowed


def test_namespace_selector_alone_means_every_pod_there() -> None:
    world = World(
        [Namespace("y", {"team": "t"})],
        [pod("x/a"), pod("y/b", {"any": "thing"}), pod("z/c")],
        [netpol("p", ingress=[{"from": [{"namespaceSelector": {"matchLabels": {"team": "t"}}}]}])],
    )
    assert verdict(world, "y/b", "x/a").allowed
    assert not verdict(world, "z/c", "x/a").allowed


def test_ip_block_matches_pod_ips_and_honours_except() -> None:
    world = World(
        [],
        [pod("x/a"), pod("y/in", ip="192.168.1.5"), pod("y/out", ip="192.168.2.5"), pod("y/noip", ip=None)],
        [
            netpol(
                "p",
                ingress=[{"from": [{"ipBlock": {"cidr": "192.168.0.0/16", "except": ["192.168.2.0/24"]}}]}],
            )
        ],
    )
    assert verdict(world, "y/in", "x/a").allowed
    assert not verdict(world, "y/out", "x/a").allowed
    assert not verdict(world, "y/noip", "x/a").allowed
    assert verdict(world, "192.168.200.1", "x/a").allowed
    assert not verdict(world, "192.168.2.1", "x/a").allowed
    assert not verdict(world, "2001:db8::1", "x/a").allowed


def test_ip_block_with_host_bits_set_is_read_leniently() -> None:
    world = World([], [pod("x/a")], [netpol("p", ingress=[{"from": [{"ipBlock": {"cidr": "10.0.0.1/24"}}]}])])
    assert verdict(world, "10.0.0.77", "x/a").allowed
    assert not verdict(world, "10.0.1.77", "x/a").allowed


def test_named_port_resolves_on_the_destination_pod() -> None:
    world = World(
        [],
        [
            pod("x/a", {"app": "a"}),
            pod("y/web", ports={"http": (8080, "TCP")}),
            pod("y/api", ports={"http": (80, "TCP")}),
        ],
        [netpol("p", pod_labels={"app": "a"}, egress=[{"ports": [{"port": "http"}]}])],
    )
    assert verdict(world, "x/a", "y/web", 8080).allowed
    assert not verdict(world, "x/a", "y/web", 80).allowed
    assert verdict(world, "x/a", "y/api", 80).allowed
    assert not verdict(world, "x/a", "8.8.8.8", 80).allowed  # an external destination has no named ports


def test_named_port_must_match_its_protocol() -> None:
    world = World(
        [],
        [pod("x/a", ports={"dns": (53, "UDP")}), pod("y/b")],
        [netpol("p", ingress=[{"ports": [{"port": "dns", "protocol": "TCP"}]}])],
    )
    assert not verdict(world, "y/b", "x/a", 53, "TCP").allowed
    assert not verdict(world, "y/b", "x/a", 53, "UDP").allowed


def test_connection_port_given_by_name_is_looked_up_on_the_destination() -> None:
    world = World(
        [],
        [pod("x/a", ports={"metrics": (9090, "TCP")}), pod("y/b")],
        [netpol("p", ingress=[{"ports": [{"port": 9090}]}])],
    )
    v = verdict(world, "y/b", "x/a", "metrics")
    assert v.allowed and v.resolved_port == 9090
    missing = verdict(world, "x/a", "y/b", "metrics")
    assert not missing.allowed and missing.resolved_port is None


@pytest.mark.parametrize(
    ("port", "expected"), [(7999, False), (8000, True), (8500, True), (9000, True), (9001, False)]
)
def test_end_port_range_is_inclusive(port: int, expected: bool) -> None:
    world = World(
        [], [pod("x/a"), pod("y/b")], [netpol("p", ingress=[{"ports": [{"port": 8000, "endPort": 9000}]}])]
    )
    assert verdict(world, "y/b", "x/a", port).allowed is expected


def test_empty_ports_allow_every_port_and_protocol() -> None:
    world = World(
        [], [pod("x/a"), pod("y/b")], [netpol("p", ingress=[{"from": [{"namespaceSelector": {}}]}])]
    )
    assert verdict(world, "y/b", "x/a", 5432, "UDP").allowed
    assert verdict(world, "y/b", "x/a", 1, "SCTP").allowed


def test_both_egress_and_ingress_must_allow() -> None:
    world = World(
        [],
        [pod("x/a", {"app": "a"}), pod("y/b", {"app": "b"})],
        [
            netpol("x-out", pod_labels={"app": "a"}, egress=[{"ports": [{"port": 443}]}]),
            netpol("y-in", "y", pod_labels={"app": "b"}, ingress=[{"ports": [{"port": 80}]}]),
        ],
    )
    assert not verdict(world, "x/a", "y/b", 80).allowed
    assert not verdict(world, "x/a", "y/b", 443).allowed
    v = verdict(world, "x/a", "y/b", 80)
    assert not v.egress.allowed and v.ingress.allowed


def test_external_endpoints_have_no_policies() -> None:
    world = World([], [pod("x/a")], [netpol("deny", ingress=[], egress=[])])
    v = verdict(world, "8.8.8.8", "x/a")
    assert not v.egress.applicable and not v.allowed
    assert not verdict(world, "x/a", "8.8.8.8").allowed
    with pytest.raises(BadRequest):
        verdict(world, "8.8.8.8", "1.1.1.1")


def test_parse_ref() -> None:
    world = World([], [pod("default/web"), pod("x/a")], [])
    assert parse_ref(world, "x/a").pod is not None
    assert parse_ref(world, "web").ref == "default/web"
    assert parse_ref(world, "10.1.2.3") == Endpoint(ip="10.1.2.3")
    with pytest.raises(NotFound):
        parse_ref(world, "x/missing")
    with pytest.raises(BadRequest):
        parse_ref(world, "a/b/c")


def test_explanation_names_selecting_policies_and_the_allowing_rule() -> None:
    world = World(
        [],
        [
            pod("default/nginx", {"run": "nginx"}),
            pod("default/client", {"access": "true"}),
            pod("default/other"),
        ],
        [
            netpol(
                "access-nginx",
                "default",
                pod_labels={"run": "nginx"},
                ingress=[{"from": [{"podSelector": {"matchLabels": {"access": "true"}}}]}],
            )
        ],
    )
    allowed = verdict(world, "default/client", "default/nginx")
    text = "\n".join(allowed.lines())
    assert "default/access-nginx ingress rule 1 (spec.ingress[0]) allows default/client" in text
    assert "no NetworkPolicy selects default/client for egress" in text
    denied = "\n".join(verdict(world, "default/other", "default/nginx").lines())
    assert "No ingress rule of default/access-nginx allows default/other" in denied and "DENIED" in denied
    data = json.loads(json.dumps(allowed.as_dict()))
    assert data["allowed"] is True and data["ingress"]["selectedBy"] == ["default/access-nginx"]
    assert data["ingress"]["allowedBy"][0]["rule"] == 0


def test_a_pod_cannot_block_access_to_itself() -> None:
    """Kubernetes documentation: "a pod cannot block access to itself"."""
    pods = ["x/a", "x/b"]
    world = model_world(pods, [netpol("deny-all", ingress=[], egress=[], policy_types=["Ingress", "Egress"])])
    a = parse_ref(world, "x/a")
    verdict = explain(world, a, a, 80)
    assert verdict.allowed and "cannot block access to itself" in " ".join(verdict.lines())
    assert not explain(world, a, parse_ref(world, "x/b"), 80).allowed
    m = matrix(world, 80)
    assert m.allowed("x/a", "x/a") and not m.allowed("x/a", "x/b")
