"""The readiness panel on the real control plane: the Clusters list says whether policies are
enforced and links to the cluster's overview, which names the nodes where they are not and why;
the Network Policies list carries the same panel; a cluster without Terway says "enforcement
unknown" (not an error); in English and Chinese."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable

import httpx
from fastapi import FastAPI

from tests.sandbox.terway import Terway, terway  # noqa: F401 - fixture

Admin = tuple[FastAPI, httpx.AsyncClient]


def text(page: str) -> str:
    inline = re.sub(r"</?strong>", "", page)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline)))


def panel(page: str) -> str:
    found = re.search(r'<section class="readiness.*?</section>', page, re.S)
    assert found, page
    return text(found.group(0)).strip()


async def page_when(client: httpx.AsyncClient, url: str, check: Callable[[str], bool], within: float = 15.0) -> str:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        if check(response.text):
            return response.text
        assert asyncio.get_running_loop().time() < deadline, text(response.text)
        await asyncio.sleep(0.1)


async def test_from_the_clusters_list_to_the_overview_naming_the_unenforced_nodes(admin: Admin) -> None:
    app, client = admin
    listing = (await client.get("/")).text
    link = re.search(r'<a href="([^"]*/clusters/sandbox/overview)">([^<]*)</a>', listing)
    assert link and link.group(2) == "Enabled (eBPF)", text(listing)
    assert "not enforced on 3 of the nodes" in text(listing)

    overview = await client.get(link.group(1))
    assert overview.status_code == 200
    shown = panel(overview.text)
    assert "Enabled (eBPF): Enforced with eBPF (Cilium): network_policy_provider is ebpf." in shown
    assert "Terway version v1.9.3" in shown and "Data path veth" in shown
    count = len(app.state.clusters.get("sandbox").cache.network_policies())
    assert f"Policy count {count} of a recommended maximum of 100" in shown
    assert "In-cluster address ranges 192.168.0.0/16" in shown
    assert "cn-hangzhou.10.0.4.14 exclusive ENI node: Terway does not enforce network policies on it" in shown
    assert "virtual-kubelet-cn-hangzhou-h virtual node: no Terway agent runs on it" in shown
    assert "cn-hangzhou.10.0.3.13 kernel 4.18.0-348.7.1.el8_5.x86_64 is below 4.19" in shown
    assert "cn-hangzhou.10.0.1.11" not in shown
    assert "<details open>" in overview.text  # the overview unfolds the details

    client.cookies.set("lang", "zh-CN")
    try:
        chinese = panel((await client.get(link.group(1))).text)
    finally:
        client.cookies.delete("lang")
    assert "网络策略生效情况" in chinese and "已启用 (eBPF)" in chinese
    assert "独占 ENI 节点：Terway 不在该节点上执行网络策略" in chinese and "（建议上限 100 条）" in chinese


async def test_the_policies_list_carries_the_panel(admin: Admin) -> None:
    _, client = admin
    page = await client.get("/clusters/sandbox/networkpolicies?namespace=default")
    assert page.status_code == 200
    shown = panel(page.text)
    assert shown.startswith("Network policy enforcement Enabled (eBPF)")
    assert "the traffic of pods there is not filtered" in shown and "cn-hangzhou.10.0.4.14" in shown
    assert "<details open>" not in page.text  # folded above the list
    assert page.text.index('class="readiness') < page.text.index('id="np-table"')


async def test_disabled_and_without_terway_the_pages_say_so_without_an_error(
    admin: Admin, terway: Terway  # noqa: F811
) -> None:
    _, client = admin
    url = "/clusters/sandbox/overview"
    terway.configure(provider="ebpf", disable="true")
    shown = panel(await page_when(client, url, lambda p: "Disabled" in panel(p)))
    assert "disable_network_policy to true" in shown and "Nodes where policies are not enforced" not in shown

    terway.remove_config()
    terway.remove_daemonset()
    page = await page_when(client, url, lambda p: "network plug-in" in panel(p))
    assert panel(page).startswith("Network policy enforcement Enforcement unknown: No Terway ConfigMap")
    listing = text((await client.get("/")).text)
    assert "Enforcement unknown" in listing and "Error" not in listing
    assert (await client.get("/clusters/sandbox/networkpolicies")).status_code == 200
