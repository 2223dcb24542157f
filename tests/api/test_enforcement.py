"""The connectivity answer's ``enforcement`` part on the real control plane (Terway in eBPF mode,
as the demo has it): a pod on the exclusive-ENI node, an ipBlock over a pod's IP, a normal node,
and policies disabled through eni-config. The Kubernetes verdict stays as it is beside it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.sandbox.kubectl import Kubectl
from tests.sandbox.terway import Terway, terway  # noqa: F401 - fixture

URL = "/api/v1/clusters/sandbox/connectivity"
ECS_NODE = "cn-hangzhou.10.0.1.11"  # policies enforced
ENI_NODE = "cn-hangzhou.10.0.4.14"  # exclusive ENI: not enforced


def pinned_pods(ns: str) -> str:
    """``client`` and ``server`` on an ECS node, ``eni`` on the exclusive-ENI node, and eni's
    ingress denied by the policy deny-eni."""
    items: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
         "spec": {"nodeSelector": selector, "containers": [{"name": name, "image": "busybox"}]}}
        for name, selector in (
            ("client", {"kubernetes.io/hostname": ECS_NODE}),
            ("server", {"kubernetes.io/hostname": ECS_NODE}),
            ("eni", {"k8s.aliyun.com/exclusive-mode-eni-type": "eniOnly"}),
        )
    ]  # fmt: skip
    items.append({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "deny-eni", "namespace": ns},
        "spec": {"podSelector": {"matchLabels": {"app": "eni"}}, "policyTypes": ["Ingress"]},
    })  # fmt: skip
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def ipblock_policy(ns: str, client_ip: str) -> str:
    """server's ingress allowed only from an ipBlock holding client's pod IP."""
    return json.dumps({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "by-ip", "namespace": ns},
        "spec": {"podSelector": {"matchLabels": {"app": "server"}},
                 "ingress": [{"from": [{"ipBlock": {"cidr": f"{client_ip}/32"}}]}]},
    })  # fmt: skip


def make_pinned(k: Kubectl, ns: str) -> dict[str, dict[str, Any]]:
    """The three pods Running (by name), placed as named, and the by-ip policy."""
    k("apply", "-f", "-", stdin=pinned_pods(ns))
    pods = {p["metadata"]["name"]: p for p in k.running("-n", ns, count=3)}
    assert pods["eni"]["spec"]["nodeName"] == ENI_NODE and pods["client"]["spec"]["nodeName"] == ECS_NODE
    assert pods["server"]["spec"]["nodeName"] == ECS_NODE
    k("apply", "-f", "-", stdin=ipblock_policy(ns, pods["client"]["status"]["podIP"]))
    return pods


@pytest.fixture
def pinned(k: Kubectl, namespace: str) -> dict[str, dict[str, Any]]:
    return make_pinned(k, namespace)


async def answer_when(api: Api, body: dict[str, Any], check: Callable[[Any], bool], within: float = 20) -> Any:
    """The API's answer once the console's cache shows what the test made."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        response = await api.send("POST", URL, json=body)
        if response.status_code == 200 and check(response.json()):
            return response.json()
        assert asyncio.get_running_loop().time() < deadline, response.text
        await asyncio.sleep(0.2)


async def test_a_deny_for_a_pod_on_the_exclusive_eni_node_does_not_hold(
    api: Api, namespace: str, pinned: dict[str, Any]
) -> None:
    body = {"from": {"pod": f"{namespace}/client"}, "to": {"pod": f"{namespace}/eni"}, "port": 80}
    answer = await answer_when(api, body, lambda a: a["enforcement"]["notes"] != [])
    assert answer["allowed"] is False  # the Kubernetes verdict stays the verdict
    assert answer["enforcement"]["holds"] is False
    assert answer["enforcement"]["notes"] == [
        f"{namespace}/eni runs on node {ENI_NODE}, where network policies are not enforced (exclusive ENI node: "
        "Terway does not enforce network policies on it): its traffic is not filtered there."
    ]


async def test_an_ipblock_over_a_pod_ip_does_not_allow_it_under_ebpf(
    api: Api, namespace: str, pinned: dict[str, Any]
) -> None:
    body = {"from": {"pod": f"{namespace}/client"}, "to": {"pod": f"{namespace}/server"}, "port": 80}
    answer = await answer_when(api, body, lambda a: a["allowed"])
    ip = pinned["client"]["status"]["podIP"]
    assert answer["enforcement"] == {
        "holds": False,
        "notes": [
            f"Under eBPF an ipBlock does not match pods or Services inside the cluster: {namespace}/by-ip allows "
            f"{namespace}/client through ipBlock {ip}/32, which Terway does not apply to it; use podSelector or "
            "namespaceSelector."
        ],
    }


async def test_between_pods_on_an_enforced_node_the_answer_holds(
    api: Api, namespace: str, pinned: dict[str, Any]
) -> None:
    body = {"from": {"pod": f"{namespace}/server"}, "to": {"pod": f"{namespace}/client"}, "port": 80}
    answer = await answer_when(api, body, lambda a: "enforcement" in a)
    assert answer["allowed"] is True and answer["enforcement"] == {"holds": True, "notes": []}


async def test_with_policies_disabled_a_deny_does_not_hold(
    api: Api,
    namespace: str,
    pinned: dict[str, Any],
    terway: Terway,  # noqa: F811
) -> None:
    terway.configure(provider="ebpf", virtual="veth", disable="true")
    body = {"from": {"pod": f"{namespace}/server"}, "to": {"pod": f"{namespace}/eni"}, "port": 80}
    answer = await answer_when(api, body, lambda a: "disabled" in " ".join(a["enforcement"]["notes"]))
    assert answer["allowed"] is False
    assert answer["enforcement"] == {
        "holds": False,
        "notes": [
            "Network policies are disabled on this cluster: no policy is enforced, so every connection is allowed."
        ],
    }
