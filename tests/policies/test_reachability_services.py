"""Ends beyond pods (app.policies.services and app.policies.connection): a Service resolved to the
pods behind its selector and each pod's target port, and an IP address read as a pod or checked
against ipBlock peers (cidr and except)."""

from __future__ import annotations

from typing import Any

import pytest

from app.errors import BadRequest, NotFound
from app.policies.connection import IP, POD, End, check
from app.policies.documents import Namespace, Pod
from app.policies.model import NetworkPolicy
from app.policies.reachability import World
from app.policies.services import Service, ServicePort


def pod(name: str, ip: str, labels: dict[str, str], ports: dict[str, tuple[int, str]] | None = None) -> Pod:
    return Pod("shop", name, labels, ip, ports or {})


def policy(name: str, selector: dict[str, str], ingress: list[dict[str, Any]]) -> NetworkPolicy:
    return NetworkPolicy.model_validate(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"podSelector": {"matchLabels": selector}, "ingress": ingress},
        }
    )


def service(selector: dict[str, str] | None, ports: list[dict[str, Any]]) -> Service:
    spec: dict[str, Any] = {"ports": ports, "clusterIP": "10.96.0.20", "type": "LoadBalancer"}
    if selector is not None:
        spec["selector"] = selector
    return Service.from_dict({"metadata": {"name": "web", "namespace": "shop"}, "spec": spec})


# web-1 calls its port "http" 8080, web-2 calls it "http" 9090, web-3 has no "http"; only app=client
# may reach app=web on 8080, and the load balancer's range (minus one block) on any port.
WEB = {"app": "web"}
PODS = [
    pod("web-1", "10.1.0.1", WEB, {"http": (8080, "TCP")}),
    pod("web-2", "10.1.0.2", WEB, {"http": (9090, "TCP")}),
    pod("web-3", "10.1.0.3", WEB, {"metrics": (9100, "TCP")}),
    pod("client", "10.1.0.9", {"app": "client"}),
    pod("other", "10.1.0.10", {"app": "other"}),
]
POLICIES = [
    policy(
        "web",
        WEB,
        [
            {"from": [{"podSelector": {"matchLabels": {"app": "client"}}}], "ports": [{"port": 8080}]},
            {"from": [{"ipBlock": {"cidr": "100.64.0.0/10", "except": ["100.64.1.0/24"]}}]},
        ],
    )
]


@pytest.fixture
def world() -> World:
    return World([Namespace("shop")], PODS, POLICIES)


def test_a_named_target_port_is_resolved_per_pod(world: World) -> None:
    svc = service(WEB, [{"name": "web", "port": 80, "targetPort": "http"}])
    answer = check(world, End(POD, "shop/client"), svc, 80)
    backends = {b.pod.name: b for b in answer.service.backends} if answer.service else {}
    assert [(name, b.target, b.allowed) for name, b in backends.items()] == [
        ("web-1", 8080, True),
        ("web-2", 9090, False),  # the policy allows 8080 only
        ("web-3", None, False),  # no port named http: the Service sends it nothing
    ]
    assert answer.service and answer.service.summary == "allowed to 1 of 3 pods" and not answer.allowed
    assert str(backends["web-3"].reason(answer.service.port)) == (
        "shop/web-3 has no TCP container port named http: the Service sends it nothing on this port."
    )
    lines = answer.lines()
    assert lines[0] == "shop/client -> Service shop/web on TCP/80: allowed to 1 of 3 pods"
    assert "NetworkPolicies never see a Service's ClusterIP or port" in "\n".join(lines)
    assert "shop/web-2 on TCP/9090: DENIED" in lines
    assert "  shop/web ingress rule 1 (spec.ingress[0]) allows shop/client on TCP/8080: peer [0] pods matching " \
        "app=client in namespace shop, port [0] TCP/8080." in lines


def test_the_service_port_is_found_by_number_or_name_never_by_target(world: World) -> None:
    ports = [{"name": "web", "port": 80, "targetPort": 8080}, {"name": "dns", "port": 53, "protocol": "UDP"}]
    svc = service(WEB, ports)
    by_name = check(world, End(POD, "shop/client"), svc, "web")
    by_number = check(world, End(POD, "shop/client"), svc, 80)
    assert by_name.as_dict()["pods"] == by_number.as_dict()["pods"]
    assert by_number.allowed and by_number.service and by_number.service.allowed_count == 3
    assert [b.target for b in by_number.service.backends] == [8080, 8080, 8080]
    with pytest.raises(BadRequest, match=r"no TCP port 8080 .* its ports: 80/TCP \(web\) → 8080, 53/UDP \(dns\) → 53"):
        check(world, End(POD, "shop/client"), svc, 8080)
    with pytest.raises(BadRequest, match="no TCP port 'dns'"):
        check(world, End(POD, "shop/client"), svc, "dns")
    assert check(world, End(POD, "shop/client"), svc, "dns", "UDP").service is not None


def test_no_selector_and_no_pods_are_said_plainly(world: World) -> None:
    ports = [{"port": 80}]
    bare = check(world, End(POD, "shop/client"), service(None, ports), 80)
    assert bare.service and bare.service.backends == [] and not bare.allowed
    assert bare.service.summary.startswith("Service shop/web has no selector: Kubernetes sends its traffic")
    nobody = check(world, End(POD, "shop/client"), service({"app": "gone", "tier": "x"}, ports), 80)
    assert nobody.service and not nobody.allowed
    assert nobody.service.summary == (
        "No pod in namespace shop matches the selector of Service shop/web (app=gone,tier=x): "
        "nothing answers behind it."
    )
    assert nobody.as_dict()["allowedPods"] == 0 and nobody.as_dict()["pods"] == []


def test_pods_of_another_namespace_never_back_a_service() -> None:
    svc = service(WEB, [{"port": 80}])
    assert svc.backing_pods([Pod("elsewhere", "web-9", WEB, "10.2.0.1")]) == []
    assert svc.ports == (ServicePort(80, "TCP", "", None),) and ServicePort(80).target(PODS[0]) == 80


def test_an_address_matches_ipblocks_with_their_except_ranges_and_never_selectors(world: World) -> None:
    svc = service(WEB, [{"port": 80, "targetPort": 8080}])
    health = check(world, End(IP, "100.64.0.5"), svc, 80)
    assert health.allowed and health.service and health.service.summary == "allowed to 3 of 3 pods"
    assert health.notes[0] == (
        "100.64.0.5 is not the IP address of a pod: it is checked against ipBlock peers (cidr and except) only; "
        "pod and namespace selectors never match an address."
    )
    excepted = check(world, End(IP, "100.64.1.7"), End(POD, "shop/web-1"), 8080)
    assert not excepted.allowed  # inside the cidr, but in its except range
    outside = check(world, End(IP, "203.0.113.10"), End(POD, "shop/web-1"), 8080)
    assert not outside.allowed and outside.verdict is not None
    assert "No ingress rule of shop/web allows 203.0.113.10 on TCP/8080, so it is denied." in outside.lines()
    edge = check(world, End(IP, "100.127.255.255"), End(POD, "shop/web-1"), 8080)
    assert edge.allowed


def test_an_address_that_is_a_pods_ip_is_that_pod(world: World) -> None:
    answer = check(world, End(IP, "10.1.0.9"), End(POD, "shop/web-1"), 8080)
    assert answer.allowed and answer.src == "shop/client"
    assert answer.notes == ["10.1.0.9 is the IP address of pod shop/client: it is checked as that pod."]
    assert answer.lines()[:2] == [
        "shop/client -> shop/web-1 on TCP/8080: ALLOWED",
        "10.1.0.9 is the IP address of pod shop/client: it is checked as that pod.",
    ]
    # an address as the destination is a pod too, and then a named port resolves on it
    assert check(world, End(POD, "shop/client"), End(IP, "10.1.0.1"), "http").allowed
    # two pods on one address (host network): an address, as policies see it
    shared = World([], [*PODS, Pod("shop", "node-agent", {}, "10.1.0.9")], POLICIES)
    assert check(shared, End(IP, "10.1.0.9"), End(POD, "shop/web-1"), 8080).verdict is not None
    assert not check(shared, End(IP, "10.1.0.9"), End(POD, "shop/web-1"), 8080).allowed


def test_ends_must_be_what_their_kind_says(world: World) -> None:
    with pytest.raises(BadRequest, match="not an IP address"):
        check(world, End(IP, "shop/client"), End(POD, "shop/web-1"), 80)
    with pytest.raises(BadRequest, match="not a pod reference"):
        check(world, End(POD, "10.1.0.9"), End(POD, "shop/web-1"), 80)
    with pytest.raises(NotFound):
        check(world, End(POD, "shop/nope"), End(POD, "shop/web-1"), 80)
    with pytest.raises(BadRequest, match="at least one side"):
        check(world, End(IP, "203.0.113.1"), End(IP, "203.0.113.2"), 80)
    assert End.read(" 100.64.0.5 ") == End(IP, "100.64.0.5") and End.read("shop/web-1") == End(POD, "shop/web-1")


def test_a_named_target_port_must_match_the_service_ports_protocol() -> None:
    dns = Pod("shop", "dns", WEB, "10.1.0.53", {"dns": (53, "UDP")})
    assert ServicePort(53, "UDP", "dns", "dns").target(dns) == 53
    assert ServicePort(53, "TCP", "dns-tcp", "dns").target(dns) is None  # the pod's "dns" is UDP
    odd = Service.from_dict({"metadata": {"name": "x"}, "spec": {"selector": None, "ports": [{"port": "80"}, 7]}})
    assert (odd.namespace, odd.selector, odd.ports) == ("default", {}, ())
