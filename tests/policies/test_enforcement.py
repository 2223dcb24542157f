"""Whether a Kubernetes answer holds as Terway enforces policies (app/policies/enforcement.py): a
pod on an unenforced node, an ipBlock over pods under eBPF, policies disabled, enforcement unknown."""

from __future__ import annotations

from typing import Any

from app.cluster.terway import Enforcement, NodeFacts, assess, in_cluster_ranges
from app.policies.documents import Pod, policy_from_dict
from app.policies.enforcement import Holding, selected_unenforced, unenforced_pods
from app.policies.enforcement import judge as _judge
from app.policies.reachability import Endpoint, Verdict, World, explain
from app.policies.words import Words

CNI = '{"type": "terway", "eniip_virtual_type": "veth", "network_policy_provider": "%s"}'
NODES = [
    NodeFacts("ecs-1", {}, "5.10.134"),
    NodeFacts("eni-1", {"k8s.aliyun.com/exclusive-mode-eni-type": "eniOnly"}, "5.10.134"),
]
PODS = [
    Pod("default", "web", {"app": "web"}, "10.0.0.2"),
    Pod("default", "client", {"app": "client"}, "10.0.0.3"),
    Pod("default", "eni-client", {"app": "eni-client"}, "10.0.0.4"),
]
ON = {"default/web": "ecs-1", "default/client": "ecs-1", "default/eni-client": "eni-1"}


def enforcement(provider: str = "ebpf", disable: str = "false") -> Enforcement:
    return assess({"disable_network_policy": disable, "10-terway.conf": CNI % provider}, [], NODES)


def deny_ingress_except(*peers: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": list(peers)}] if peers else []},
    }


Asked = tuple[Verdict, World]


def verdict(src: str, dst: str, *peers: dict[str, Any]) -> Asked:
    """src → dst on TCP/80 with web's ingress allowing only ``peers``."""
    world = World([], PODS, [policy_from_dict(deny_ingress_except(*peers))])
    return explain(world, Endpoint(pod=world.pods[src]), Endpoint(pod=world.pods[dst]), 80), world


def judge(asked: list[Asked], found: Enforcement, nodes: dict[str, str], ranges: tuple[str, ...] = ()) -> Holding:
    return _judge([v for v, _ in asked], asked[0][1] if asked else World([], PODS, []), found, nodes, ranges)


def test_a_denied_answer_from_an_enforced_node_holds() -> None:
    found = judge([verdict("default/client", "default/web")], enforcement(), ON)
    assert found.holds is True and found.notes == ()
    assert found.as_dict() == {"holds": True, "notes": []}


def test_an_ingress_deny_for_a_pod_on_an_exclusive_eni_node_does_not_hold() -> None:
    world = World([], PODS, [policy_from_dict({**deny_ingress_except(), "spec": {
        "podSelector": {"matchLabels": {"app": "eni-client"}}, "policyTypes": ["Ingress"]}})])  # fmt: skip
    denied = explain(world, Endpoint(pod=world.pods["default/web"]), Endpoint(pod=world.pods["default/eni-client"]), 80)
    assert not denied.allowed
    found = judge([(denied, world)], enforcement(), ON)
    assert found.holds is False
    assert found.notes[0].startswith("default/eni-client runs on node eni-1, where network policies are not enforced")
    assert "exclusive ENI" in found.notes[0] and "not filtered" in found.notes[0]


def test_a_pod_on_an_unenforced_node_is_named_even_when_the_answer_still_holds() -> None:
    # Its egress is not filtered, but web's ingress (on an enforced node) still denies it.
    found = judge([verdict("default/eni-client", "default/web")], enforcement(), ON)
    assert found.holds is True
    assert len(found.notes) == 1 and "default/eni-client runs on node eni-1" in found.notes[0]


def test_under_ebpf_an_ipblock_over_a_pod_does_not_allow_it() -> None:
    allowed = verdict("default/client", "default/web", {"ipBlock": {"cidr": "10.0.0.0/24"}})
    assert allowed[0].allowed
    found = judge([allowed], enforcement("ebpf"), ON)
    assert found.holds is False
    assert found.notes == (
        "Under eBPF an ipBlock does not match pods or Services inside the cluster: default/web allows "
        "default/client through ipBlock 10.0.0.0/24, which Terway does not apply to it; use podSelector or "
        "namespaceSelector.",
    )
    assert isinstance(found.notes[0], Words)


def test_under_iptables_the_ipblock_over_a_pod_holds() -> None:
    allowed = verdict("default/client", "default/web", {"ipBlock": {"cidr": "10.0.0.0/24"}})
    assert judge([allowed], enforcement("iptables"), ON).holds is True


def test_an_ipblock_beside_a_selector_that_allows_decides_nothing() -> None:
    allowed = verdict("default/client", "default/web", {"ipBlock": {"cidr": "10.0.0.0/24"}},
                      {"podSelector": {"matchLabels": {"app": "client"}}})  # fmt: skip
    assert judge([allowed], enforcement("ebpf"), ON).holds is True


def test_under_ebpf_an_ipblock_over_an_in_cluster_address_is_noted_by_the_ranges() -> None:
    world = World([], PODS, [policy_from_dict(deny_ingress_except({"ipBlock": {"cidr": "192.168.0.0/16"}}))])
    allowed = explain(world, Endpoint(ip="192.168.3.4"), Endpoint(pod=world.pods["default/web"]), 80)
    assert allowed.allowed
    assert judge([(allowed, world)], enforcement(), ON, ("192.168.0.0/16",)).holds is False
    assert judge([(allowed, world)], enforcement(), ON, ("172.16.0.0/12",)).holds is True


def test_policies_disabled_make_a_deny_not_hold_and_an_allow_hold() -> None:
    off = enforcement(disable="true")
    denied = judge([verdict("default/client", "default/web")], off, ON)
    assert denied.holds is False and "Network policies are disabled" in denied.notes[0]
    world = World([], PODS, [])
    allowed = explain(world, Endpoint(pod=world.pods["default/client"]), Endpoint(pod=world.pods["default/web"]), 80)
    assert judge([(allowed, world)], off, ON).holds is True


def test_without_terway_whether_it_holds_is_unknown() -> None:
    unknown = assess(None, [], NODES)
    found = judge([verdict("default/client", "default/web")], unknown, ON)
    assert found.holds is None and found.notes[0].startswith("Enforcement unknown: No Terway ConfigMap")
    assert judge([], unknown, ON).holds is None and judge([], enforcement(), ON).holds is True


def test_a_service_answer_does_not_hold_when_one_pod_behind_it_does_not() -> None:
    bad, world = verdict("default/client", "default/web", {"ipBlock": {"cidr": "10.0.0.3/32"}})
    good = explain(world, Endpoint(pod=world.pods["default/client"]), Endpoint(pod=world.pods["default/client"]), 80)
    assert judge([(good, world)], enforcement(), ON).holds is True
    assert judge([(good, world), (bad, world)], enforcement(), ON).holds is False


def test_the_pods_on_unenforced_nodes_and_the_review_note() -> None:
    assert list(unenforced_pods(enforcement(), ON)) == ["default/eni-client"]
    note = selected_unenforced(enforcement(), {"default/eni-client": "eni-1", "default/web": "ecs-1"})
    assert note is not None and note.startswith("The policy does not hold for these pods: default/eni-client run on")
    assert "eni-1 (exclusive ENI node" in note
    assert selected_unenforced(enforcement(), {"default/web": "ecs-1"}) is None
    assert "disabled" in str(selected_unenforced(enforcement(disable="true"), {"default/web": "ecs-1"}))


def test_the_in_cluster_ranges_come_from_the_configmaps_then_the_addresses() -> None:
    eni = {"eni_conf": '{"service_cidr": "192.168.0.0/16"}'}
    profile = {"serviceCIDR": "172.21.0.0/20", "vpcid": "vpc-1"}
    proxy = {"config.conf": 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nclusterCIDR: "172.20.0.0/16"\n'}
    found = in_cluster_ranges(eni, profile, proxy, ["192.168.0.10", "10.0.1.5", "not-an-ip"])
    assert found == ("10.0.1.5/32", "172.20.0.0/16", "172.21.0.0/20", "192.168.0.0/16")
    assert in_cluster_ranges(None, None, None, ["10.0.0.1", "fd00::1"]) == ("10.0.0.1/32", "fd00::1/128")
    assert in_cluster_ranges({"eni_conf": "not json"}) == ()
