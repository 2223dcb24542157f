"""Lint on the pages, against the sandbox: the Create panel's review step lists the likely
mistakes with a link to what to do, and the Network Policies list marks a policy with the reason
on hover; with and without htmx."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from kubernetes_asyncio import client as k8s

from tests.web.test_networkpolicies_page import PANEL, make_policy, post_panel, wait_cached
from tests.web.test_policy_editor import a_filled_form

WAYS = [pytest.param({}, id="without-javascript"), pytest.param(PANEL, id="htmx")]


async def add_web_pod(app: Any, kube: Any, namespace: str) -> None:
    await k8s.CoreV1Api(kube).create_namespaced_pod(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {
                "containers": [{"name": "web", "image": "nginx", "ports": [{"name": "http", "containerPort": 8080}]}]
            },
        },
    )
    cache = app.state.clusters.get("sandbox").cache
    for _ in range(100):
        if any(p.name == "web" for p in cache.pods(namespace)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the pod never reached the cache")


def lint_items(html: str) -> list[str]:
    return re.findall(r'<li class="warning-text" data-lint="([^"]+)">', html)


@pytest.mark.parametrize("headers", WAYS)
async def test_the_review_lists_a_policy_that_selects_no_pods(
    admin: Any, namespace: str, headers: dict[str, str]
) -> None:
    _, client = admin
    review = await post_panel(client, await a_filled_form(client, namespace, "lonely"), "next", headers=headers)
    assert review.status_code == 200 and "dryRun=All" in review.text
    assert "Likely mistakes" in review.text
    assert "selects-no-pods" in lint_items(review.text)
    assert f"The policy selects no pods in namespace {namespace}." in review.text
    assert re.search(
        r'<a href="https://kubernetes\.io/[^"]+" target="_blank" rel="noopener">What to do</a>', review.text
    )


async def test_the_review_without_mistakes_lists_none(admin: Any, kube: Any, namespace: str) -> None:
    app, client = admin
    await add_web_pod(app, kube, namespace)
    review = await post_panel(client, await a_filled_form(client, namespace, "fine"), "next")
    assert review.status_code == 200 and "dryRun=All" in review.text
    assert "selects-no-pods" not in lint_items(review.text)


async def test_the_list_marks_a_policy_with_the_reason_on_hover(admin: Any, kube: Any, namespace: str) -> None:
    app, client = admin
    await add_web_pod(app, kube, namespace)
    await make_policy(kube, namespace, "nobody", {"podSelector": {"matchLabels": {"app": "gone"}}})
    await make_policy(
        kube,
        namespace,
        "fine",
        {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"ports": [{"port": "http"}]}]},
    )
    await wait_cached(app, namespace, "nobody")
    await wait_cached(app, namespace, "fine")
    page = await client.get(f"/clusters/sandbox/networkpolicies?namespace={namespace}")
    assert page.status_code == 200
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(r"<tr>\s*<td><a href=\"[^\"]*\">([^<]+)</a>.*?</tr>", page.text, re.S)
    }
    assert set(rows) >= {"nobody", "fine"}
    marker = re.search(r'<span class="[^"]*lint-marker"[^>]*data-lints="([^"]*)" title="([^"]*)"', rows["nobody"])
    assert marker, rows["nobody"]
    assert marker.group(1) == "selects-no-pods"
    assert f"The policy selects no pods in namespace {namespace}." in marker.group(2)
    assert "lint-marker" not in rows["fine"]
