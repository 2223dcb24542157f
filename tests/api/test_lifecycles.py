"""Object lifecycles over the REST API on the real control plane: a policy held by a finalizer after
its DELETE reads as terminating and refuses replace and delete with the reason; creating into a
Terminating namespace answers the API server's own refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from kubernetes_asyncio import client as k8s

from tests.api.conftest import Api, wait_for
from tests.api.test_policies import PROBLEM, base, cached, form
from tests.web.test_lifecycles import (  # noqa: F401 - terminating_namespace is a fixture
    FINALIZER,
    hold_policy,
    release,
    terminating_namespace,
    until,
)


@pytest.fixture
async def held(kube: Any, ns: str) -> AsyncIterator[str]:
    """A policy of the test's namespace, deleted but held by a finalizer until the test ends."""
    await hold_policy(kube, ns, "held")
    await k8s.NetworkingV1Api(kube).delete_namespaced_network_policy("held", ns)
    try:
        yield "held"
    finally:
        await release(kube, ns, "held")


async def test_a_policy_being_deleted_reads_as_terminating_and_refuses_replace_and_delete(
    api: Api, kube: Any, ns: str, held: str
) -> None:
    await wait_for(lambda: (p := cached(api, ns, held)) is not None and p.metadata.deletion_timestamp)
    got = await api.get(f"{base(api, ns)}/{held}", who="vic")
    assert got.status_code == 200
    body = got.json()
    assert body["terminating"] is True
    assert body["object"]["metadata"]["finalizers"] == [FINALIZER]
    assert body["object"]["metadata"]["deletionTimestamp"]
    listed = (await api.get(base(api, ns))).json()["items"]
    assert [(p["object"]["metadata"]["name"], p["terminating"]) for p in listed] == [(held, True)]

    reason = f'networkpolicy "{held}" in namespace "{ns}" is being deleted (since '
    replaced = await api.send("PUT", f"{base(api, ns)}/{held}", json=body["object"], who="olga")
    assert replaced.status_code == 409, replaced.text
    assert replaced.headers["content-type"].startswith(PROBLEM)
    assert reason in replaced.json()["detail"] and f"finalizers: {FINALIZER}" in replaced.json()["detail"]
    dry = await api.send("PUT", f"{base(api, ns)}/{held}?dryRun=true", json=body["object"], who="olga")
    assert dry.status_code == 409
    deleted = await api.send("DELETE", f"{base(api, ns)}/{held}", who="olga")
    assert deleted.status_code == 409 and reason in deleted.json()["detail"]

    await release(kube, ns, held)
    await wait_for(lambda: cached(api, ns, held) is None)
    assert (await api.get(f"{base(api, ns)}/{held}")).status_code == 404


async def test_a_live_policy_is_not_terminating(api: Api, ns: str) -> None:
    created = await api.send("POST", base(api, ns), json=form("web"), who="olga")
    assert created.status_code == 201 and created.json()["terminating"] is False


async def test_creating_into_a_terminating_namespace_answers_the_api_servers_refusal(
    api: Api, kube: Any, terminating_namespace: str  # noqa: F811
) -> None:
    ns = terminating_namespace

    async def seen_terminating() -> bool:
        obj = next(iter(api.app.state.clusters)).cache.namespace(ns)
        return bool(obj and obj.phase == "Terminating" and obj.deletion is not None)

    await until(seen_terminating)
    for query in ("?dryRun=true", ""):
        created = await api.send("POST", base(api, ns) + query, json=form("late"), who="olga")
        assert created.status_code == 403, created.text
        assert "because it is being terminated" in created.json()["detail"]
