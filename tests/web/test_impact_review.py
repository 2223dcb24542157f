"""The review step's "Connection changes" against the sandbox: the reference's nginx (2 replicas,
port 80 named http), busybox and access-nginx (ingress to run=nginx from access=true and
100.64.0.0/10), made with kubectl. The delete confirmation, Create from YAML and the Create panel
list the flows the change newly denies or allows, before anything is applied."""

from __future__ import annotations

import asyncio
import re

import yaml

from app import analysis
from tests.sandbox.kubectl import Kubectl
from tests.web.test_connectivity_services import console, reference  # noqa: F401  (fixtures)
from tests.web.test_editor_page_points import post_panel
from tests.web.test_policy_views import Console

CREATE = "/clusters/sandbox/networkpolicies/create-yaml"
Reference = tuple[str, dict[str, str]]


def changes(html: str) -> dict[str, list[str]]:
    """The review's groups by kind (denied, allowed): their headlines."""
    section = re.search(r'<section class="impact".*?</section>', html, re.S)
    assert section, "no Connection changes in the review"
    out: dict[str, list[str]] = {}
    for kind, head in re.findall(r'<li data-change="(\w+)"><strong>(.*?)</strong>', section.group(0), re.S):
        out.setdefault(kind, []).append(head)
    return out


def delete_url(ns: str) -> str:
    return f"/clusters/sandbox/namespaces/{ns}/networkpolicies/access-nginx/delete"


SCENARIO1 = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "access-nginx"},
    "spec": {
        "podSelector": {"matchLabels": {"run": "nginx"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"access": "true"}}}]}],
    },
}


async def test_the_delete_confirmation_lists_newly_allowed_flows(console: Console, reference: Reference) -> None:  # noqa: F811
    ns, _ = reference
    page = await console.until(delete_url(ns), "Newly allowed")
    found = changes(page.text)
    assert f"{ns}/busybox → {ns}/nginx:80/TCP (http)" in found["allowed"]
    assert "denied" not in found
    assert re.search(rf"{ns}/busybox → {ns}/nginx:80/TCP \(http\)</strong> — flows: 2", page.text)  # 2 replicas
    assert f"<code>{ns}/busybox-" in page.text  # the flows in full

    console.http.cookies.set("lang", "zh-CN")
    chinese = await console.http.get(delete_url(ns))
    assert "连接变化" in chinese.text and "新增允许" in chinese.text


async def test_create_from_yaml_of_scenario_1_names_busybox_to_nginx_80_newly_denied(
    console: Console,  # noqa: F811
    reference: Reference,  # noqa: F811
    k: Kubectl,
) -> None:
    ns, _ = reference
    await console.until(delete_url(ns), "busybox-")
    # The same rules under another name: nothing changes.
    twin = {**SCENARIO1, "metadata": {"name": "twin"}}
    same = await console.post(CREATE, {"yaml": yaml.safe_dump(twin), "namespace": ns, "op": "review"})
    assert same.status_code == 200, same.text
    assert "No connection changes." in same.text

    k("delete", "networkpolicy", "-n", ns, "access-nginx")
    for _ in range(100):  # until the console's cache has seen the delete
        review = await console.post(CREATE, {"yaml": yaml.safe_dump(SCENARIO1), "namespace": ns, "op": "review"})
        if "Newly denied" in review.text:
            break
        await asyncio.sleep(0.1)
    assert review.status_code == 200, review.text
    found = changes(review.text)
    assert f"{ns}/busybox → {ns}/nginx:80/TCP (http)" in found["denied"]
    assert "allowed" not in found


async def test_the_edit_panel_review_shows_the_changes(console: Console, reference: Reference) -> None:  # noqa: F811
    ns, _ = reference
    await console.until(delete_url(ns), "busybox-")
    page = await console.http.get(f"/clusters/sandbox/namespaces/{ns}/networkpolicies/access-nginx/edit")
    unchanged = await post_panel(console.http, page.text, "next")
    assert unchanged.status_code == 200, unchanged.text
    assert "Connection changes" in unchanged.text and "No connection changes." in unchanged.text
    opened = await post_panel(
        console.http, page.text, "next", **{"ingress[0].peers[0].podSelector.labels[0].key": "run",
                                            "ingress[0].peers[0].podSelector.labels[0].value": "busybox"}
    )  # fmt: skip
    assert opened.status_code == 200, opened.text
    assert f"{ns}/busybox → {ns}/nginx:80/TCP (http)" in changes(opened.text)["allowed"]


async def test_the_pods_nodes_are_remembered_until_a_pod_changes(
    console: Console,  # noqa: F811
    reference: Reference,  # noqa: F811
    k: Kubectl,
) -> None:
    ns, ips = reference
    await console.until(delete_url(ns), "busybox-")  # the console's cache holds the pods
    cluster = console.app.state.clusters.get("sandbox")
    first = analysis.pod_nodes(cluster)
    assert analysis.pod_nodes(cluster) is first  # every review asks: not rebuilt from 10,000 pods each time
    busybox = next(name for name in ips if name.startswith("busybox"))
    assert first[f"{ns}/{busybox}"]
    k("label", "pod", "-n", ns, busybox, "noticed=yes")
    for _ in range(100):  # until the cache has seen the label: then the mapping is made again
        again = analysis.pod_nodes(cluster)
        if again is not first:
            break
        await asyncio.sleep(0.1)
    assert again is not first and again[f"{ns}/{busybox}"] == first[f"{ns}/{busybox}"]
