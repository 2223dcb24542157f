"""Whether an answer holds as Terway enforces policies, on the pages, against the sandbox (eBPF,
as the demo has it): the Connectivity check from the demo's pod on the exclusive-ENI node (the
issue's "Done when"), in English and Chinese; an ipBlock over a pod's IP; a normal node; the
matrix's marked cells; policies disabled; the policy editor's review."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.test_enforcement import ENI_NODE, make_pinned
from tests.sandbox.kubectl import Kubectl
from tests.sandbox.terway import Terway, terway  # noqa: F401 - fixture
from tests.web.test_networkpolicies_page import post_panel

Admin = tuple[FastAPI, httpx.AsyncClient]


def text(page: str) -> str:
    inline = re.sub(r"</?strong>", "", page)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline)))


def page(**params: str) -> str:
    return "/clusters/sandbox/connectivity?" + "&".join(f"{k}={v}" for k, v in params.items())


async def page_when(client: httpx.AsyncClient, url: str, check: Callable[[str], bool], within: float = 20) -> str:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        response = await client.get(url)
        if response.status_code == 200 and check(response.text):
            return response.text
        assert asyncio.get_running_loop().time() < deadline, text(response.text)
        await asyncio.sleep(0.2)


@pytest.fixture
def pinned(k: Kubectl, namespace: str) -> dict[str, dict[str, Any]]:
    return make_pinned(k, namespace)


async def test_a_check_from_the_demo_pod_on_the_exclusive_eni_node_says_the_policy_does_not_hold_there(
    admin: Admin,
) -> None:
    app, client = admin
    cache = app.state.clusters.get("sandbox").cache
    pods = {p.labels.get("app"): p for p in cache.pods("default")}
    eni, nginx = pods["eni-client"], pods["nginx"]
    assert eni.node == ENI_NODE  # the demo pins it there
    url = page(**{"from": eni.ref, "to": nginx.ref, "port": "80"})
    shown = text((await client.get(url)).text)
    assert "Enforcement on this cluster:" in shown
    assert (
        f"{eni.ref} runs on node {ENI_NODE}, where network policies are not enforced (exclusive ENI node: Terway "
        "does not enforce network policies on it): its traffic is not filtered there." in shown
    )
    client.cookies.set("lang", "zh-CN")
    chinese = text((await client.get(url)).text)
    assert "本集群上的实际生效情况" in chinese
    assert f"{eni.ref} 运行在节点 {ENI_NODE} 上，该节点不执行网络策略（" in chinese
    assert "它的流量在那里不会被过滤" in chinese


async def test_the_page_says_when_an_answer_does_not_hold_and_is_silent_when_it_does(
    admin: Admin, namespace: str, pinned: dict[str, Any]
) -> None:
    _, client = admin
    ns = namespace
    denied = await page_when(client, page(**{"from": f"{ns}/client", "to": f"{ns}/eni", "port": "80"}),
                             lambda p: "Enforcement on this cluster" in p)  # fmt: skip
    shown = text(denied)
    assert "DENIED" in shown and "the Kubernetes answer does not hold here." in shown
    assert f"{ns}/eni runs on node {ENI_NODE}" in shown

    by_ip = await page_when(client, page(**{"from": f"{ns}/client", "to": f"{ns}/server", "port": "80"}),
                            lambda p: "ALLOWED" in text(p))  # fmt: skip
    assert "the Kubernetes answer does not hold here." in text(by_ip)
    assert "Under eBPF an ipBlock does not match pods or Services inside the cluster" in text(by_ip)
    assert "use podSelector or namespaceSelector" in text(by_ip)

    normal = (await client.get(page(**{"from": f"{ns}/server", "to": f"{ns}/client", "port": "80"}))).text
    assert "ALLOWED" in text(normal) and "Enforcement on this cluster" not in normal


async def test_the_matrix_marks_the_cells_that_may_not_hold_with_why(
    admin: Admin, namespace: str, pinned: dict[str, Any]
) -> None:
    _, client = admin
    shown = await page_when(client, page(mnamespace=namespace, mport="80"),
                            lambda p: "does not hold" in p)  # fmt: skip
    rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', shown, re.S))
    marked = re.findall(r'<td class="denied unenforced" title="([^"]*)">', rows["client"])
    assert len(marked) == 1  # client → eni: eni's ingress deny is not enforced on its node
    assert html.unescape(marked[0]).startswith(
        f"This answer does not hold on this cluster: {namespace}/eni runs on node {ENI_NODE}"
    )
    assert rows["server"].count('unenforced"') == 1  # server → eni likewise; server → client holds
    # eni → server stays denied: server's ingress is enforced on its node, only eni's egress is not.
    assert "unenforced" not in rows["eni"]


async def test_with_policies_disabled_the_page_says_so(
    admin: Admin,
    namespace: str,
    pinned: dict[str, Any],
    terway: Terway,  # noqa: F811
) -> None:
    _, client = admin
    terway.configure(provider="ebpf", virtual="veth", disable="true")
    shown = await page_when(client, page(**{"from": f"{namespace}/server", "to": f"{namespace}/eni", "port": "80"}),
                            lambda p: "disabled" in p)  # fmt: skip
    assert "the Kubernetes answer does not hold here." in text(shown)
    assert "Network policies are disabled on this cluster: no policy is enforced" in text(shown)


async def test_the_review_says_the_policy_does_not_hold_for_pods_on_unenforced_nodes(
    admin: Admin, namespace: str, pinned: dict[str, Any]
) -> None:
    app, client = admin
    cache = app.state.clusters.get("sandbox").cache
    for _ in range(100):
        if cache.network_policy(namespace, "deny-eni") is not None:
            break
        await asyncio.sleep(0.05)
    opened = await client.get(f"/clusters/sandbox/namespaces/{namespace}/networkpolicies/deny-eni/edit")
    assert opened.status_code == 200, opened.text
    current = opened.text
    for _ in range(4):
        response = await post_panel(client, current, "next")
        assert response.status_code == 200, text(response.text)
        current = response.text
        if 'id="review-title"' in current:
            break
    shown = text(current)
    assert f"Pods affected (1) {namespace}/eni" in shown
    assert (
        f"The policy does not hold for these pods: {namespace}/eni run on nodes where network policies are not "
        f"enforced: {ENI_NODE} (exclusive ENI node" in shown
    )
