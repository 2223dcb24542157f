"""Terway's enforcement facts, read from eni-config, the DaemonSet and the nodes (FACTS.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.cluster.terway import NodeFacts, assess, kernel_version, switch_consequences, switch_patch, terway_version


def daemonset(tag: str, name: str = "terway-eniip") -> dict[str, Any]:
    image = f"registry-cn-hangzhou.ack.aliyuncs.com:443/acs/terway:{tag}"
    containers = [{"name": "policy", "image": "x/policy:v9"}, {"name": "terway", "image": image}]
    return {"metadata": {"name": name, "namespace": "kube-system"}, "spec": {"template": {"spec": {"containers": containers}}}}  # noqa: E501


def config(provider: str | None = None, virtual: str | None = None, disable: str | None = None) -> dict[str, str]:
    cni: dict[str, Any] = {"cniVersion": "0.4.0", "name": "terway", "type": "terway"}
    if provider is not None:
        cni["network_policy_provider"] = provider
    if virtual is not None:
        cni["eniip_virtual_type"] = virtual
    data = {"10-terway.conf": json.dumps(cni), "eni_conf": "{}"}
    if disable is not None:
        data["disable_network_policy"] = disable
    return data


NODES = [
    NodeFacts("plain", {}, "5.10.134-16.al8.x86_64"),
    NodeFacts("eni", {"k8s.aliyun.com/exclusive-mode-eni-type": "eniOnly"}, "5.10.0"),
    NodeFacts("virtual", {"type": "virtual-kubelet"}),
    NodeFacts("ignored", {"k8s.aliyun.com/ignore-by-terway": "true"}, "5.10.0"),
    NodeFacts("old", {}, "4.18.0-80.el8.x86_64"),
]


def test_ebpf_names_every_node_that_does_not_enforce() -> None:
    found = assess(config("ebpf"), [daemonset("v1.9.0.0-g1234-aliyun")], NODES, policy_count=3)
    assert (found.state, found.implementation, found.provider, found.datapath) == ("enabled", "eBPF", "ebpf", "veth")
    assert found.terway_version == "v1.9.0.0-g1234-aliyun"
    reasons = {u.node: str(u.reason) for u in found.unenforced}
    assert set(reasons) == {"eni", "virtual", "ignored", "old"}
    assert "exclusive ENI" in reasons["eni"] and "virtual node" in reasons["virtual"] and "4.19" in reasons["old"]
    assert found.as_dict() == {
        "enabled": True, "state": "enabled", "provider": "ebpf", "implementation": "eBPF",
        "terwayVersion": "v1.9.0.0-g1234-aliyun", "datapath": "veth", "why": str(found.why),
        "unenforcedNodes": [{"name": n, "reason": reasons[n]} for n in ("eni", "virtual", "ignored", "old")],
        "policyCount": 3, "recommendedMax": 100, "inClusterRanges": [],
    }  # fmt: skip


@pytest.mark.parametrize(("virtual", "provider", "implementation"), [
    ("ipvlan", None, "eBPF"), ("DataPathV2", "iptables", "eBPF"), ("veth", None, "iptables"), (None, None, "iptables"),
    ("veth", "ebpf", "eBPF"),
])  # fmt: skip
def test_the_implementation_follows_the_data_path_and_the_provider(
    virtual: str | None, provider: str | None, implementation: str
) -> None:
    assert assess(config(provider, virtual), [], []).implementation == implementation


def test_iptables_keeps_old_kernels_and_new_terway_refuses_them() -> None:
    found = assess(config(), [daemonset("v1.8.2")], NODES)
    assert {u.node for u in found.unenforced} == {"eni", "virtual", "ignored"}
    newer = assess(config(), [daemonset("v1.14.3")], [NodeFacts("n", {}, "5.4.0"), NodeFacts("m", {}, "5.10.1")])
    assert [u.node for u in newer.unenforced] == ["n"] and "5.10" in str(newer.unenforced[0].reason)


@pytest.mark.parametrize(("value", "state"), [
    (None, "enabled"), ("", "enabled"), ("false", "enabled"), ("0", "enabled"), ("true", "disabled"), ("1", "disabled"),
])  # fmt: skip
def test_the_switch(value: str | None, state: str) -> None:
    found = assess(config(disable=value), [], NODES)
    assert found.state == state
    assert found.enabled is (state == "enabled")
    if state == "disabled":
        assert not found.unenforced and found.implementation is None


def test_no_terway_is_unknown_not_an_error() -> None:
    found = assess(None, [], NODES, policy_count=7)
    assert found.state == "unknown" and found.enabled is None and "eni-config" in found.why
    assert found.as_dict()["policyCount"] == 7
    assert "v1.9.0" in assess(None, [daemonset("v1.9.0")], []).why


def test_odd_input() -> None:
    assert kernel_version("5.10.134-16.al8.x86_64") == (5, 10)
    assert kernel_version("garbage") is None
    assert terway_version([daemonset("v1.2", name="other")]) is None
    assert assess({"10-terway.conf": "not json"}, [], []).implementation == "iptables"
    conflist = {"10-terway.conflist": json.dumps({"plugins": [{"type": "terway", "eniip_virtual_type": "IPVlan"}]})}
    assert assess(conflist, [], []).implementation == "eBPF"
    # a node without a readable kernel is not called unenforced for it
    assert not assess(config("ebpf"), [], [NodeFacts("x", {}, "")]).unenforced


def test_unreadable_nodes_and_config_say_unknown_rather_than_none() -> None:
    blind = assess(config("ebpf"), [], None)
    assert blind.state == "enabled" and not blind.nodes_known and blind.as_dict()["unenforcedNodes"] is None
    hidden = assess(None, [daemonset("v1.9.0")], NODES, config_readable=False)
    assert hidden.state == "unknown" and hidden.enabled is None and "may not read" in hidden.why
    assert hidden.terway_version == "v1.9.0" and hidden.as_dict()["unenforcedNodes"] == []


def test_the_switch_patches_one_key_and_says_datapath_v2_only_where_it_applies() -> None:
    assert switch_patch(True) == {"data": {"disable_network_policy": "false"}}
    assert switch_patch(False) == {"data": {"disable_network_policy": "true"}}
    on_veth = switch_consequences(assess(config("ebpf", "veth", "true"), [], []), True)
    assert any("restarted or replaced" in s for s in on_veth) and any("turns on DataPath V2" in s for s in on_veth)
    on_ipvlan = switch_consequences(assess(config("ebpf", "ipvlan", "true"), [], []), True)
    assert not any("turns on DataPath V2" in s for s in on_ipvlan)
    assert any("no longer blocked" in s for s in switch_consequences(assess(config("ebpf"), [], []), False))
