"""The lints the list page marks are remembered per policy (``app.analysis.lints.lint_stored``),
and the cluster's World is derived from the previous one after a change
(``app.analysis.snapshot.world``): the next page after a Pod's or a policy's change must show it,
against the sandbox."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from kubernetes_asyncio import client as k8s

from app.analysis import snapshot
from app.policies.reachability import World
from tests.web.test_networkpolicies_page import make_policy, wait_cached


def marks(html: str) -> dict[str, str]:
    """Each row's lint ids ("" for none), by policy name."""
    rows = {
        m.group(1): m.group(0) for m in re.finditer(r"<tr>\s*<td><a href=\"[^\"]*\">([^<]+)</a>.*?</tr>", html, re.S)
    }
    return {name: " ".join(re.findall(r'data-lints="([^"]*)"', row)) for name, row in rows.items()}


async def until(check: Any) -> None:
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the cache never saw the change")


async def test_the_list_shows_a_pod_or_policy_change_on_the_next_page(admin: Any, kube: Any, namespace: str) -> None:
    app, client = admin
    cluster = app.state.clusters.get("sandbox")
    cache = cluster.cache
    page = f"/clusters/sandbox/networkpolicies?namespace={namespace}"
    await make_policy(kube, namespace, "nobody", {"podSelector": {"matchLabels": {"app": "gone"}}})
    await wait_cached(app, namespace, "nobody")
    assert marks((await client.get(page)).text)["nobody"] == "selects-no-pods"

    core = k8s.CoreV1Api(kube)
    pod = {"metadata": {"name": "p", "labels": {"app": "other"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    await core.create_namespaced_pod(namespace, pod)
    await until(lambda: cache.pods(namespace))
    assert marks((await client.get(page)).text)["nobody"] == "selects-no-pods"  # the pod is not selected

    # a Pod's label: the next page no longer marks the policy
    await core.patch_namespaced_pod("p", namespace, {"metadata": {"labels": {"app": "gone"}}})
    await until(lambda: any(p.labels.get("app") == "gone" for p in cache.pods(namespace)))
    assert marks((await client.get(page)).text)["nobody"] == ""

    # the policy's selector: marked again at once
    net = k8s.NetworkingV1Api(kube)
    await net.patch_namespaced_network_policy(
        "nobody", namespace, {"spec": {"podSelector": {"matchLabels": {"app": "elsewhere"}}}}
    )
    await until(lambda: "elsewhere" in str(cache.network_policy(namespace, "nobody")))
    assert marks((await client.get(page)).text)["nobody"] == "selects-no-pods"

    # the derived World is the World built afresh from what the cache holds
    derived = snapshot.world(cluster)
    fresh = World(cache.namespaces(), cache.pods(), cache.network_policies())
    assert (derived.pods, derived.namespaces, derived.policies) == (fresh.pods, fresh.namespaces, fresh.policies)

    # a policy deleted, then the pod deleted: the World follows
    await net.delete_namespaced_network_policy("nobody", namespace)
    await until(lambda: cache.network_policy(namespace, "nobody") is None)
    assert "nobody" not in marks((await client.get(page)).text)
    assert not any(cp.namespace == namespace for cp in snapshot.world(cluster).policies)
    await core.delete_namespaced_pod("p", namespace, grace_period_seconds=0)
    await until(lambda: not cache.pods(namespace))
    assert not any(p.namespace == namespace for p in snapshot.world(cluster).pods.values())
