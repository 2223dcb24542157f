"""Separation of duties in the Quota Center, through the running console (real login, CSRF,
database and the sandbox cluster): an approver decides only other teams' applications; an
application names its namespaces and writes outside them are refused with the reason (at the form
before it is filled in, and by the API as 403 problem+json), inside them accepted; a system
namespace needs an admin's approval."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from kubernetes_asyncio import client as k8s
from markupsafe import escape

from app.accounts import tokens
from app.accounts.service import create_user
from app.whitelist import service as wl
from tests.accounts.conftest import BASE, ConsoleFactory, csrf_of, login, make_console  # noqa: F401
from tests.web.test_networkpolicies_page import post_panel

PASSWORD = "separate-duties-pw"
CLUSTER = "sandbox"


def esc(text: str) -> str:
    return str(escape(text))


@pytest.fixture
async def console(make_console: ConsoleFactory) -> AsyncIterator[FastAPI]:  # noqa: F811
    """olive: operator of team shop; sam: approver of team shop; rita: approver of team review;
    ada: admin of team ops."""
    async with make_console() as (app, _client):
        async with app.state.sessions() as db:
            for name, team, roles in (("olive", "shop", ["operator"]), ("sam", "shop", ["approver"]),
                                      ("rita", "review", ["approver"]), ("ada", "ops", ["admin"])):
                await create_user(db, name, team=team, roles=roles, password=PASSWORD)
            await db.commit()
        yield app


@asynccontextmanager
async def _clients(app: FastAPI, *usernames: str) -> AsyncIterator[list[httpx.AsyncClient]]:
    """A signed-in client for each of ``usernames``."""
    async with AsyncExitStack() as stack:
        clients = []
        for username in usernames:
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE))
            assert (await login(client, username, PASSWORD)).status_code == 303
            clients.append(client)
        yield clients


async def _apply(client: httpx.AsyncClient, namespaces: str) -> httpx.Response:
    token = csrf_of((await client.get("/whitelist")).text)
    return await client.post("/whitelist", data={"cluster": CLUSTER, "reason": "our shop",
                                                 "namespaces": namespaces, "csrf_token": token})


async def _only_application(app: FastAPI) -> int:
    async with app.state.sessions() as db:
        (application,) = await wl.list_applications(db, team="shop")
        return application.id


async def _decide(client: httpx.AsyncClient, app_id: int, action: str) -> httpx.Response:
    token = csrf_of((await client.get("/whitelist")).text)
    return await client.post(f"/whitelist/{app_id}/{action}", data={"csrf_token": token})


def _actions_of(page: str, app_id: int) -> str:
    row = re.search(rf'<tr id="application-{app_id}">(.*?)</tr>', page, re.S)
    assert row, f"application #{app_id} is not listed"
    return row.group(1)


async def test_an_approver_decides_only_other_teams_applications(console: FastAPI) -> None:
    app = console
    async with _clients(app, "olive", "sam", "rita") as (olive, sam, rita):
        assert (await _apply(olive, "*")).status_code == 303
        app_id = await _only_application(app)

        # sam is of olive's team: no buttons, a note saying why; a direct POST is refused with it.
        row = _actions_of((await sam.get("/whitelist")).text, app_id)
        assert ">Approve<" not in row and ">Reject<" not in row
        assert "is of your own team shop: an approver of another team decides it" in row
        for action in ("approve", "reject"):
            refused = await _decide(sam, app_id, action)
            assert refused.status_code == 403
            assert 'role="alert"' in refused.text
            assert esc(f"Application #{app_id} is of your own team shop") in refused.text

        # rita, of another team, gets the buttons and approves.
        row = _actions_of((await rita.get("/whitelist")).text, app_id)
        assert ">Approve<" in row and ">Reject<" in row
        assert (await _decide(rita, app_id, "approve")).status_code == 303
        async with app.state.sessions() as db:
            assert (await wl.get_application(db, app_id)).decided_by == "rita"


async def test_a_system_namespace_application_is_approved_only_by_an_admin(console: FastAPI) -> None:
    app = console
    async with _clients(app, "olive", "rita", "ada") as (olive, rita, ada):
        assert (await _apply(olive, "* kube-system")).status_code == 303
        app_id = await _only_application(app)
        listing = (await olive.get("/whitelist")).text
        assert "All but the system namespaces" in _actions_of(listing, app_id)
        assert "kube-system" in _actions_of(listing, app_id)

        # rita is an approver of another team, but no admin: Reject only, and Approve refused.
        row = _actions_of((await rita.get("/whitelist")).text, app_id)
        assert ">Approve<" not in row and ">Reject<" in row
        assert "names the system namespaces kube-system: only an admin may approve it" in row
        refused = await _decide(rita, app_id, "approve")
        assert refused.status_code == 403
        assert esc(f"Application #{app_id} names the system namespaces kube-system") in refused.text

        assert (await _decide(ada, app_id, "approve")).status_code == 303
        async with app.state.sessions() as db:
            granted = await wl.get_application(db, app_id)
            assert (granted.status, granted.decided_by) == ("Approved", "ada")


async def test_the_namespaces_field_refuses_what_is_no_namespace_name(console: FastAPI) -> None:
    async with _clients(console, "olive") as (olive,):
        for typed in ("Shop_Front", "shop, kube_system", "a" * 64):
            refused = await _apply(olive, typed)
            assert refused.status_code == 422, typed
            assert 'id="error-namespaces"' in refused.text
            assert 'aria-invalid="true" aria-describedby="error-namespaces"' in refused.text
            assert f'value="{typed}"' in refused.text  # nothing typed is lost
        async with console.state.sessions() as db:
            assert await wl.list_applications(db, team="shop") == []


async def _cached(app: FastAPI, *namespaces: str) -> None:
    cache = app.state.clusters.get(CLUSTER).cache
    for _ in range(200):
        if all(cache.namespace(n) is not None for n in namespaces):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{namespaces} never reached the cache")


async def _grant(app: FastAPI, namespaces: str) -> None:
    async with app.state.sessions() as db:
        application = await wl.submit(db, CLUSTER, "shop", "olive", "shop pages", namespaces=namespaces)
        await wl.approve(db, application.id, wl.Actor("ada", "ops", frozenset({"admin"})), "ok")
        await db.commit()


@pytest.fixture
async def other_namespace(kube: Any) -> AsyncIterator[str]:
    name = f"t-other-{uuid.uuid4().hex[:8]}"
    core = k8s.CoreV1Api(kube)
    await core.create_namespace({"metadata": {"name": name}})
    yield name
    await core.delete_namespace(name)


async def test_page_writes_outside_the_approved_namespaces_are_refused_before_the_form_is_filled(
    console: FastAPI, kube: Any, namespace: str, other_namespace: str
) -> None:
    app = console
    await _cached(app, namespace, other_namespace)
    await _grant(app, namespace)
    async with _clients(app, "olive") as (olive,):
        # Outside: the form says so as it opens, with what the application covers; Next is refused.
        outside = await olive.get(f"/clusters/{CLUSTER}/networkpolicies/new?namespace={other_namespace}")
        assert outside.status_code == 200
        reason = (f"Team shop may not change network policies in namespace {other_namespace} of cluster "
                  f"{CLUSTER}: its approved application #")
        assert esc(reason) in outside.text and esc(f"covers only {namespace}.") in outside.text
        assert "You cannot apply network policies in this namespace." in outside.text
        refused = await post_panel(olive, outside.text, "next", name="outside")
        assert refused.status_code == 403 and esc(reason) in refused.text
        listing = await olive.get(f"/clusters/{CLUSTER}/networkpolicies?namespace={other_namespace}")
        assert 'id="read-only"' in listing.text and esc(reason) in listing.text

        system = await olive.get(f"/clusters/{CLUSTER}/networkpolicies/new?namespace=kube-system")
        assert esc("it is a system namespace, which only an application naming it and approved by an admin "
                   "covers") in system.text

        # Inside: no refusal, and the policy is created.
        inside = await olive.get(f"/clusters/{CLUSTER}/networkpolicies/new?namespace={namespace}")
        assert 'id="panel-refusal"' not in inside.text
        review = await post_panel(olive, inside.text, "next", name="inside")
        assert review.status_code == 200, review.text
        applied = await post_panel(olive, review.text, "apply")
        assert applied.status_code in (200, 303), applied.text
        net = k8s.NetworkingV1Api(kube)
        assert [p.metadata.name for p in (await net.list_namespaced_network_policy(namespace)).items] == ["inside"]
        assert (await net.list_namespaced_network_policy(other_namespace)).items == []


async def test_api_writes_outside_the_approved_namespaces_are_403_problems_with_the_reason(
    console: FastAPI, kube: Any, namespace: str, other_namespace: str
) -> None:
    app = console
    await _cached(app, namespace, other_namespace)
    await _grant(app, namespace)
    async with app.state.sessions() as db:
        _, secret = await tokens.create_token(db, "olive", "duties", scope="write")
        await wl.set_api_gated(db, True)
        await db.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, headers=headers) as api:
        def body(ns: str, name: str) -> dict[str, Any]:
            return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": name, "namespace": ns}, "spec": {"podSelector": {}}}

        for ns in (other_namespace, "kube-system"):
            refused = await api.post(f"/api/v1/clusters/{CLUSTER}/namespaces/{ns}/networkpolicies",
                                     json=body(ns, "outside"))
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert f"Team shop may not change network policies in namespace {ns}" in refused.json()["detail"]
        made = await api.post(f"/api/v1/clusters/{CLUSTER}/namespaces/{namespace}/networkpolicies",
                              json=body(namespace, "inside"))
        assert made.status_code == 201, made.text
    net = k8s.NetworkingV1Api(kube)
    assert [p.metadata.name for p in (await net.list_namespaced_network_policy(namespace)).items] == ["inside"]
    assert (await net.list_namespaced_network_policy(other_namespace)).items == []


async def test_api_decisions_follow_the_same_rules(console: FastAPI) -> None:
    app = console
    async with app.state.sessions() as db:
        secrets = {}
        for name in ("olive", "sam", "rita", "ada"):
            _, secrets[name] = await tokens.create_token(db, name, "duties", scope="write")
        await db.commit()

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as api:
        def auth(name: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {secrets[name]}"}

        bad = await api.post("/api/v1/whitelist/applications", headers=auth("olive"),
                             json={"cluster": CLUSTER, "reason": "r", "namespaces": ["Not A Name"]})
        assert bad.status_code == 422, bad.text
        made = await api.post("/api/v1/whitelist/applications", headers=auth("olive"),
                              json={"cluster": CLUSTER, "reason": "r", "namespaces": ["kube-system", "*"]})
        assert made.status_code == 201, made.text
        assert made.json()["namespaces"] == ["*", "kube-system"]
        app_id = made.json()["id"]
        url = f"/api/v1/whitelist/applications/{app_id}/approve"
        own = await api.post(url, headers=auth("sam"), json={})
        assert own.status_code == 403 and own.headers["content-type"].startswith("application/problem+json")
        assert "is of your own team shop" in own.json()["detail"]
        no_admin = await api.post(url, headers=auth("rita"), json={})
        assert no_admin.status_code == 403 and "only an admin may approve it" in no_admin.json()["detail"]
        approved = await api.post(url, headers=auth("ada"), json={})
        assert approved.status_code == 200 and approved.json()["status"] == "Approved"
