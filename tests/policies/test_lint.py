"""Lint (app.policies.lint): each rule with a policy that triggers it and one that does not."""

from __future__ import annotations

from typing import Any

from app.policies.documents import Namespace, Pod
from app.policies.lint import RULES, lint
from app.policies.model import NetworkPolicy
from app.policies.reachability import World
from app.policies.services import Service

DNS = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
       "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}  # fmt: skip

PODS = [
    Pod("shop", "web-1", {"app": "web"}, "10.0.0.5", {"http": (8080, "TCP")}),
    Pod("shop", "db-1", {"app": "db"}, "10.0.0.6", {"sql": (5432, "TCP")}),
    Pod("kube-system", "coredns-1", {"k8s-app": "kube-dns"}, "10.0.0.2", {"dns": (53, "UDP")}),
]


def policy(spec: dict[str, Any], name: str = "p") -> NetworkPolicy:
    body = {"podSelector": {"matchLabels": {"app": "web"}}, **spec}
    return NetworkPolicy.model_validate({"metadata": {"name": name, "namespace": "shop"}, "spec": body})


def world(policies: list[NetworkPolicy] | None = None) -> World:
    return World([Namespace("shop"), Namespace("kube-system")], PODS, policies or [])


def ids(p: NetworkPolicy, **kw: Any) -> set[str]:
    return {f.id for f in lint(p, kw.pop("w", None) or world(), **kw)}


def from_pods(labels: dict[str, str]) -> dict[str, Any]:
    return {"from": [{"podSelector": {"matchLabels": labels}}]}


def test_every_rule_has_an_id_and_a_link() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    assert all(r.help.startswith("https://") for r in RULES)


def test_selects_no_pods() -> None:
    assert "selects-no-pods" in ids(policy({"podSelector": {"matchLabels": {"app": "gone"}}}))
    assert "selects-no-pods" not in ids(policy({}))
    # offline without pods: nothing is known, so nothing is said
    assert "selects-no-pods" not in ids(policy({"podSelector": {"matchLabels": {"app": "gone"}}}), pods_known=False)


def test_peer_matches_nothing() -> None:
    found = lint(policy({"ingress": [from_pods({"app": "gone"})]}), world())
    assert [(f.id, f.field) for f in found] == [("peer-matches-nothing", "spec.ingress[0].from[0]")]
    assert "app=gone" in found[0].message
    assert ids(policy({"ingress": [from_pods({"app": "db"})]})) == set()


def test_egress_without_dns() -> None:
    only_db = {"to": [{"podSelector": {"matchLabels": {"app": "db"}}}]}
    assert "egress-without-dns" in ids(policy({"policyTypes": ["Egress"], "egress": [only_db]}))
    udp_only = {**DNS, "ports": [{"protocol": "UDP", "port": 53}]}
    assert "egress-without-dns" in ids(policy({"policyTypes": ["Egress"], "egress": [only_db, udp_only]}))
    assert "egress-without-dns" not in ids(policy({"policyTypes": ["Egress"], "egress": [only_db, DNS]}))
    all_namespaces = {"to": [{"namespaceSelector": {}}], "ports": DNS["ports"]}
    assert "egress-without-dns" not in ids(policy({"policyTypes": ["Egress"], "egress": [all_namespaces]}))
    assert "egress-without-dns" not in ids(policy({"ingress": [from_pods({"app": "db"})]}))


def test_ipblock_in_cluster_on_ebpf_only() -> None:
    p = policy({"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]})
    found = lint(p, world(), implementation="eBPF", ranges=["10.0.0.0/16"])
    assert [(f.id, f.field) for f in found] == [("ipblock-in-cluster", "spec.ingress[0].from[0]")]
    assert "ipblock-in-cluster" not in ids(p, implementation="iptables", ranges=["10.0.0.0/16"])
    outside = policy({"ingress": [{"from": [{"ipBlock": {"cidr": "192.168.0.0/16"}}]}]})
    assert "ipblock-in-cluster" not in ids(outside, implementation="eBPF", ranges=["10.0.0.0/16"])
    # a Service's ClusterIP counts even when no range is known
    svc = Service("shop", "api", cluster_ip="172.16.0.10")
    on_svc = policy({"ingress": [{"from": [{"ipBlock": {"cidr": "172.16.0.0/12"}}]}]})
    assert "ipblock-in-cluster" in ids(on_svc, implementation="eBPF", services=[svc])
    excepted = policy({"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/16"]}}]}]})
    assert "ipblock-in-cluster" not in ids(excepted, implementation="eBPF", ranges=["10.0.0.0/16"])


def test_loadbalancer_health_check() -> None:
    lb = Service("shop", "web", {"app": "web"}, type="LoadBalancer")
    closed = policy({"ingress": [from_pods({"app": "db"})]})
    found = lint(closed, world(), services=[lb])
    assert [f.id for f in found] == ["loadbalancer-health-check"]
    assert "100.64.0.0/10" in found[0].message
    assert ids(closed, services=[Service("shop", "web", {"app": "web"})]) == set()  # not a LoadBalancer
    opened = policy({"ingress": [from_pods({"app": "db"}), {"from": [{"ipBlock": {"cidr": "100.64.0.0/10"}}]}]})
    assert ids(opened, services=[lb]) == set()
    excepted = policy({"ingress": [{"from": [{"ipBlock": {"cidr": "100.64.0.0/10", "except": ["100.64.1.0/24"]}}]}]})
    assert "loadbalancer-health-check" in ids(excepted, services=[lb])


def test_duplicate_and_shadowed_rules() -> None:
    rule = {**from_pods({"app": "db"}), "ports": [{"port": 80}]}
    found = lint(policy({"ingress": [rule, rule]}), world())
    assert [(f.id, f.field) for f in found] == [("duplicate-rule", "spec.ingress[1]")]
    wider = {**from_pods({"app": "db"}), "ports": [{"port": 1, "endPort": 1000}]}
    found = lint(policy({"ingress": [wider, rule]}), world())
    assert [(f.id, f.field) for f in found] == [("shadowed-rule", "spec.ingress[1]")]
    other_port = {**from_pods({"app": "db"}), "ports": [{"port": 5000}]}
    assert ids(policy({"ingress": [rule, other_port]})) == set()
    all_ns = {"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "db"}}}]}
    assert "shadowed-rule" in ids(policy({"ingress": [all_ns, rule]}))
    block = {"from": [{"ipBlock": {"cidr": "192.168.0.0/16"}}]}
    smaller = {"from": [{"ipBlock": {"cidr": "192.168.1.0/24"}}]}
    assert "shadowed-rule" in ids(policy({"ingress": [block, smaller]}))
    holed = {"from": [{"ipBlock": {"cidr": "192.168.0.0/16", "except": ["192.168.1.0/25"]}}]}
    assert "shadowed-rule" not in ids(policy({"ingress": [holed, smaller]}))


def test_undefined_named_port() -> None:
    found = lint(policy({"ingress": [{"ports": [{"port": "grpc"}]}]}), world())
    assert [(f.id, f.field) for f in found] == [("undefined-named-port", "spec.ingress[0].ports[0]")]
    assert ids(policy({"ingress": [{"ports": [{"port": "http"}]}]})) == set()
    # egress: looked up on the destination pods
    egress = {"policyTypes": ["Egress"], "egress": [DNS, {"to": [{"podSelector": {}}], "ports": [{"port": "sql"}]}]}
    assert ids(policy(egress)) == set()
    egress["egress"][1]["ports"] = [{"port": "http", "protocol": "UDP"}]
    assert ids(policy(egress)) == {"undefined-named-port"}


def test_too_many_policies() -> None:
    others = [policy({}, name=f"p{i}") for i in range(100)]
    assert "too-many-policies" in ids(policy({}, name="new"), w=world(others))
    # editing one of them keeps the count at 100
    assert "too-many-policies" not in ids(policy({}, name="p1"), w=world(others))


def test_messages_are_words() -> None:
    found = lint(policy({"podSelector": {"matchLabels": {"app": "gone"}}}), world())
    assert found[0].message.template == "The policy selects no pods in namespace {namespace}."
    assert found[0].as_dict() == {
        "id": "selects-no-pods",
        "message": "The policy selects no pods in namespace shop.",
        "field": "spec.podSelector",
        "help": found[0].help,
    }
