"""``GET /api/v1/clusters/{cluster}``'s ``networkPolicy`` on the real control plane, in each of
Terway's configurations, the objects applied through the API server: eBPF, iptables, disabled,
eni-config missing, an old-kernel node, an exclusive-ENI node, a virtual node, no Terway at all.
The console runs throughout, so each answer is also the watch cache following the change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from app.cluster.terway import EXCLUSIVE_ENI_LABEL
from tests.api.conftest import Api
from tests.sandbox.terway import Terway, terway  # noqa: F401 - fixture

URL = "/api/v1/clusters/sandbox"


async def answer_when(api: Api, check: Callable[[dict[str, Any]], bool], within: float = 15.0) -> dict[str, Any]:
    """The cluster's networkPolicy object, once ``check`` holds for it."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        response = await api.get(URL)
        assert response.status_code == 200, response.text
        found = response.json()["networkPolicy"]
        if check(found):
            return found
        assert asyncio.get_running_loop().time() < deadline, found
        await asyncio.sleep(0.1)


def reasons(found: dict[str, Any]) -> dict[str, str]:
    return {n["name"]: n["reason"] for n in found["unenforcedNodes"] or ()}


async def test_the_demo_is_ebpf_and_names_the_nodes_where_policies_are_not_enforced(api: Api) -> None:
    found = (await api.get(URL)).json()["networkPolicy"]
    assert found["enabled"] is True and found["state"] == "enabled"
    assert (found["provider"], found["implementation"], found["datapath"]) == ("ebpf", "eBPF", "veth")
    assert found["terwayVersion"] == "v1.9.3" and found["recommendedMax"] == 100
    assert found["inClusterRanges"] == ["192.168.0.0/16"]  # eni-config's service_cidr, ack-cluster-profile's
    assert found["policyCount"] == len(api.app.state.clusters.get("sandbox").cache.network_policies())
    why = reasons(found)
    assert "exclusive ENI" in why["cn-hangzhou.10.0.4.14"]
    assert "virtual node" in why["virtual-kubelet-cn-hangzhou-h"]
    assert "4.18" in why["cn-hangzhou.10.0.3.13"]
    assert "cn-hangzhou.10.0.1.11" not in why  # a 5.10 ECS node enforces


async def test_nodes_added_and_removed_follow_in_the_answer(api: Api, terway: Terway) -> None:  # noqa: F811
    exclusive = terway.add_node("eni", {EXCLUSIVE_ENI_LABEL: "eniOnly"}, "5.10.134-16.3.al8.x86_64")
    virtual = terway.add_node("vk", {"type": "virtual-kubelet"}, "5.10.134-16.3.al8.x86_64")
    old = terway.add_node("old", {}, "4.14.0-115.el7a.x86_64")
    fine = terway.add_node("fine", {}, "5.10.134-16.3.al8.x86_64")
    found = await answer_when(api, lambda f: {exclusive, virtual, old} <= set(reasons(f)))
    why = reasons(found)
    assert "exclusive ENI" in why[exclusive] and "virtual node" in why[virtual] and "4.14" in why[old]
    assert fine not in why

    # Under iptables a 4.14 kernel enforces: only eBPF needs 4.19.
    terway.configure(provider="iptables")
    found = await answer_when(api, lambda f: f["implementation"] == "iptables")
    assert old not in reasons(found) and {exclusive, virtual} <= set(reasons(found))

    terway.restore()
    terway.nodes.clear()
    found = await answer_when(api, lambda f: exclusive not in reasons(f) and f["implementation"] == "eBPF")
    assert not {virtual, old} & set(reasons(found))


async def test_iptables_ipvlan_and_disabled_as_eni_config_says(api: Api, terway: Terway) -> None:  # noqa: F811
    terway.configure(provider=None, virtual="veth")  # no provider: iptables
    found = await answer_when(api, lambda f: f["implementation"] == "iptables")
    assert found["enabled"] is True and found["provider"] == "iptables" and "Calico" in found["why"]
    assert "cn-hangzhou.10.0.3.13" not in reasons(found)  # 4.18 is enough for iptables

    terway.configure(provider="iptables", virtual="IPVlan")
    found = await answer_when(api, lambda f: f["datapath"] == "ipvlan")
    assert found["implementation"] == "eBPF" and "ipvlan" in found["why"]

    terway.configure(provider="ebpf", disable="true")
    found = await answer_when(api, lambda f: f["state"] == "disabled")
    assert found["enabled"] is False and found["implementation"] is None and found["unenforcedNodes"] == []
    assert "disable_network_policy" in found["why"]

    terway.configure(provider="ebpf", disable="0")  # "0" keeps them on
    found = await answer_when(api, lambda f: f["state"] == "enabled")
    assert found["implementation"] == "eBPF"


async def test_without_eni_config_or_without_terway_enforcement_is_unknown_not_an_error(
    api: Api, terway: Terway  # noqa: F811
) -> None:
    terway.remove_config()
    found = await answer_when(api, lambda f: f["state"] == "unknown")
    assert found["enabled"] is None and found["implementation"] is None and found["unenforcedNodes"] == []
    assert found["terwayVersion"] == "v1.9.3" and "eni-config was not found" in found["why"]

    terway.remove_daemonset()
    found = await answer_when(api, lambda f: f["terwayVersion"] is None)
    assert found["state"] == "unknown" and "network plug-in" in found["why"]
    assert (await api.get(URL)).status_code == 200
