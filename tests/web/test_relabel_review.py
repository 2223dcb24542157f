"""The review of a label edit lists the connections it changes, before Apply: on the sandbox, the
reference's nginx (2 replicas, port 80 named http), busybox and access-nginx (ingress to run=nginx
from access=true pods), made with kubectl. Giving busybox's pods access=true newly allows
busybox → nginx:80; taking from the namespace the label a namespaceSelector allows it by newly
denies it. Nothing is written by a review."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
import yaml

from tests.sandbox.kubectl import Kubectl
from tests.web.test_connectivity_services import console, reference  # noqa: F401  (fixtures)
from tests.web.test_impact_review import Reference, changes, delete_url
from tests.web.test_policy_views import HX, Console

BY_TEAM = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "nginx-from-blue"},
    "spec": {
        "podSelector": {"matchLabels": {"run": "nginx"}},
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}}}]}],
    },
}


async def review_until(
    console: Console,  # noqa: F811
    url: str,
    data: dict[str, str],
    needle: str,
    headers: dict[str, str] | None = None,
) -> str:
    """Post the review until its answer holds ``needle`` (the cache follows the cluster by watch)."""
    for _ in range(100):
        answer = await console.post(url, {**data, "op": "review"}, headers=headers or {})
        assert answer.status_code == 200, answer.text
        if needle in answer.text:
            return answer.text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{needle!r} never appeared in the review of {url}: {answer.text}")


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
async def test_the_workload_review_names_busybox_to_nginx_80_newly_allowed(
    console: Console,  # noqa: F811
    reference: Reference,  # noqa: F811
    k: Kubectl,
    headers: dict[str, str],
) -> None:
    ns, _ = reference
    await console.until(delete_url(ns), "busybox-")  # the cache has the pods
    url = f"/clusters/sandbox/namespaces/{ns}/workloads/Deployment/busybox/labels"
    seen = json.dumps({"run": "busybox"})
    granted = {"seen": seen, "labels[0].key": "run", "labels[0].value": "busybox",
               "labels[1].key": "access", "labels[1].value": "true"}  # fmt: skip
    text = await review_until(console, url, granted, "Newly allowed", headers=headers)
    found = changes(text)
    assert found["allowed"] == [f"{ns}/busybox → {ns}/nginx:80/TCP (http)"]
    assert "denied" not in found
    assert re.search(rf"{ns}/busybox → {ns}/nginx:80/TCP \(http\)</strong> — flows: 2", text)  # 2 replicas
    assert 'value="apply"' in text and ("<html" in text) is not bool(headers)
    stored = json.loads(k("get", "deployment", "-n", ns, "busybox", "-o", "json").stdout)
    assert stored["spec"]["template"]["metadata"]["labels"] == {"run": "busybox"}, "a review stores nothing"

    neutral = {**granted, "labels[1].key": "tier", "labels[1].value": "tools"}
    same = await console.post(url, {**neutral, "op": "review"}, headers=headers)
    assert same.status_code == 200 and "No connection changes." in same.text

    console.http.cookies.set("lang", "zh-CN")
    chinese = await console.post(url, {**granted, "op": "review"}, headers=headers)
    assert "连接变化" in chinese.text and "新增允许" in chinese.text


async def test_the_namespace_review_names_the_flows_its_lost_label_denies(
    console: Console,  # noqa: F811
    reference: Reference,  # noqa: F811
    k: Kubectl,
) -> None:
    ns, _ = reference
    k("label", "namespace", ns, "team=blue")
    k("apply", "-n", ns, "-f", "-", stdin=yaml.safe_dump(BY_TEAM))
    url = f"/clusters/sandbox/namespaces/{ns}/labels"
    form = await console.until(url, 'value="blue"')
    seen = re.search(r'name="seen" value="([^"]+)"', form.text)
    assert seen
    data = {"seen": seen.group(1).replace("&#34;", '"'), "labels[0].key": "owner", "labels[0].value": "me"}
    # busybox lacks access=true: only nginx-from-blue, by the namespace's team=blue, lets it in.
    text = await review_until(console, url, data, f"{ns}/busybox → {ns}/nginx:80/TCP (http)")
    assert "These policies stop selecting this namespace" in text and f"{ns}/nginx-from-blue" in text
    found = changes(text)
    assert f"{ns}/busybox → {ns}/nginx:80/TCP (http)" in found["denied"]
    assert "allowed" not in found
    stored = json.loads(k("get", "namespace", ns, "-o", "json").stdout)
    assert stored["metadata"]["labels"]["team"] == "blue", "a review stores nothing"

    kept = await console.post(url, {**data, "labels[0].key": "team", "labels[0].value": "blue", "op": "review"})
    assert kept.status_code == 200 and "No connection changes." in kept.text
