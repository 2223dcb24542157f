"""The Namespaces page through the running console on the sandbox: the list from the cache (labels,
status, pods, policies, default deny per direction), Create with labels (errors at their fields,
input kept), Edit labels naming the policies that start or stop selecting the namespace, Delete
naming what goes and asking for the name, system namespaces kept, viewers refused. Every page is
asked for as a whole page and as an htmx fragment."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from app.accounts.service import create_user
from tests.conftest import SandboxProcess
from tests.web.test_policy_views import HX, Console, _console

BASE = "/clusters/sandbox/namespaces"


@pytest.fixture
async def console(sandbox: SandboxProcess, tmp_path: Path) -> AsyncIterator[Console]:
    async with _console(sandbox, tmp_path, approved=True) as c:
        yield c


def policy(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name}, "spec": spec}


@pytest.fixture
async def shop(kube: Any) -> AsyncIterator[tuple[str, str]]:
    """Namespace ``shop`` (team=shop) with pod web and a default-deny-ingress policy; namespace
    ``front`` whose policy admits ingress from namespaces labelled team=shop."""
    core, net = client.CoreV1Api(kube), client.NetworkingV1Api(kube)
    shop, front = f"nsp-{uuid.uuid4().hex[:6]}", f"nsf-{uuid.uuid4().hex[:6]}"
    await core.create_namespace({"metadata": {"name": shop, "labels": {"team": "shop"}}})
    await core.create_namespace({"metadata": {"name": front}})
    await core.create_namespaced_pod(shop, {
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
    })  # fmt: skip
    await net.create_namespaced_network_policy(shop, policy("deny-in", {"podSelector": {}, "policyTypes": ["Ingress"]}))
    await net.create_namespaced_network_policy(front, policy("from-shop", {
        "podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "shop"}}}]}],
    }))  # fmt: skip
    yield shop, front
    for name in (shop, front):
        await _gone(core, name)


async def _gone(core: Any, name: str) -> None:
    try:
        await core.delete_namespace(name)
    except ApiException as exc:
        if exc.status != 404:
            raise


def row(html: str, name: str) -> str:
    found = re.search(rf'<tr data-namespace="{re.escape(name)}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {name}"
    return found.group(1)


def cells(row_html: str) -> list[str]:
    found = re.findall(r"<td[^>]*>(.*?)</td>", row_html, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in found]


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
async def test_the_list_shows_labels_status_pods_policies_and_default_deny(
    console: Console, shop: tuple[str, str], headers: dict[str, str]
) -> None:
    name, front = shop
    await console.until(BASE, f'data-namespace="{front}"')
    page = await console.until(BASE, "Ingress: deny-in")
    response = await console.http.get(BASE, headers=headers)
    assert response.status_code == 200
    assert ("<html" in response.text) is not bool(headers), "htmx gets the fragment, else the page"
    name_, labels, status, pods, policies, deny, age, actions = cells(row(page.text, name))
    assert (name_, labels, status, pods, policies) == (name, "team=shop", "Active", "1", "1")
    assert deny == "Ingress: deny-in", "deny-in isolates every pod for ingress, nothing for egress"
    assert "Edit labels" in actions and "Delete" in actions
    assert cells(row(page.text, front))[5] == "None"
    assert "kubernetes.io/metadata.name" not in row(page.text, name), "the fixed label is not a chip"


async def test_create_keeps_the_input_and_says_each_error_at_its_field(console: Console, kube: Any) -> None:
    form = await console.http.get(BASE + "/new")
    assert form.status_code == 200 and 'id="ns-name"' in form.text
    more = await console.post(BASE + "/new", {"name": "x", "labels[0].key": "env", "labels[0].value": "test",
                                              "op": "add:labels"})  # fmt: skip
    assert more.status_code == 200 and 'name="labels[1].key"' in more.text and 'value="test"' in more.text

    bad = await console.post(BASE + "/new", {"name": "Bad_Name", "labels[0].key": "env", "labels[0].value": "test",
                                             "op": "create"})  # fmt: skip
    assert bad.status_code == 422
    assert 'id="error-name"' in bad.text and 'value="Bad_Name"' in bad.text and 'value="test"' in bad.text
    assert '<a href="#ns-name">Name:' in bad.text, "the summary links to the field"

    rows = {"labels[0].key": "a", "labels[0].value": "1", "labels[1].key": "a", "labels[1].value": "2"}
    twice = await console.post(BASE + "/new", {"name": "ok-name", **rows, "op": "create"})
    assert twice.status_code == 422 and 'id="error-labels[1].key"' in twice.text

    key = await console.post(BASE + "/new", {"name": "ok-name", "labels[0].key": "bad key!", "labels[0].value": "1",
                                             "op": "create"})  # fmt: skip
    assert key.status_code == 422 and 'id="error-labels[0].key"' in key.text, "the API server's error, at the row"

    taken = await console.post(BASE + "/new", {"name": "default", "op": "create"}, headers=HX)
    assert taken.status_code == 409 and 'id="error-name"' in taken.text and "<html" not in taken.text


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
async def test_create_with_labels_then_the_list_says_so(
    console: Console, kube: Any, headers: dict[str, str]
) -> None:
    name = f"nsc-{uuid.uuid4().hex[:6]}"
    try:
        done = await console.post(BASE + "/new", {"name": name, "labels[0].key": "env", "labels[0].value": "test",
                                                  "op": "create"}, headers=headers)  # fmt: skip
        if headers:
            assert done.status_code == 204 and "done=created" in done.headers["HX-Redirect"]
            location = done.headers["HX-Redirect"]
        else:
            assert done.status_code == 303
            location = done.headers["location"]
        page = await console.http.get(location)
        assert f"Namespace {name} was created." in page.text
        made = await client.CoreV1Api(kube).read_namespace(name)
        assert made.metadata.labels["env"] == "test"
    finally:
        await _gone(client.CoreV1Api(kube), name)


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
async def test_edit_labels_names_the_policies_that_stop_selecting_before_applying(
    console: Console, kube: Any, shop: tuple[str, str], headers: dict[str, str]
) -> None:
    name, front = shop
    url = f"{BASE}/{name}/labels"
    form = await console.until(url, 'value="shop"')
    seen = re.search(r'name="seen" value="([^"]+)"', form.text)
    assert seen
    data = {"seen": seen.group(1).replace("&#34;", '"'), "labels[0].key": "team", "labels[0].value": "other"}
    review = await console.post(url, {**data, "op": "review"}, headers=headers)
    assert review.status_code == 200 and ("<html" in review.text) is not bool(headers)
    assert "These policies stop selecting this namespace" in review.text
    assert f"{front}/from-shop" in review.text and 'value="apply"' in review.text
    stored = await client.CoreV1Api(kube).read_namespace(name)
    assert stored.metadata.labels["team"] == "shop", "a review stores nothing"

    applied = await console.post(url, {**data, "op": "apply"}, headers=headers)
    assert applied.status_code == (204 if headers else 303)
    assert (await client.CoreV1Api(kube).read_namespace(name)).metadata.labels["team"] == "other"

    unseen = await console.post(url, {"labels[0].key": "team", "labels[0].value": "third", "op": "apply"})
    assert unseen.status_code == 400, "a form that does not say what it started from changes nothing"
    stale = await console.post(url, {**data, "labels[0].value": "third", "op": "apply"}, headers=headers)
    assert stale.status_code == 409, "the labels the form started from are gone: no overwrite"
    assert "team=other" in stale.text, "the page shows what the namespace holds now"
    assert (await client.CoreV1Api(kube).read_namespace(name)).metadata.labels["team"] == "other"


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
async def test_delete_names_what_goes_and_asks_for_the_name(
    console: Console, kube: Any, shop: tuple[str, str], headers: dict[str, str]
) -> None:
    name, _ = shop
    url = f"{BASE}/{name}/delete"
    await console.until(f"{BASE}/{name}/labels", 'value="shop"')
    await console.until(url, "deny-in")
    page = await console.until(url, "(web)")
    assert "Network Policies</dt>" in page.text and "1 (deny-in)" in page.text and 'id="ns-confirm"' in page.text
    wrong = await console.post(url, {"confirm": "nope"}, headers=headers)
    assert wrong.status_code == 422 and 'id="error-confirm"' in wrong.text and 'value="nope"' in wrong.text
    assert (await client.CoreV1Api(kube).read_namespace(name)).status.phase == "Active"
    done = await console.post(url, {"confirm": name}, headers=headers)
    assert done.status_code == (204 if headers else 303)
    assert (await client.CoreV1Api(kube).read_namespace(name)).status.phase == "Terminating"
    listed = await console.until(BASE + "?done=deleted&name=" + name, "is being deleted")
    assert f"Namespace {name} is being deleted." in listed.text


async def test_system_namespaces_show_no_delete_and_are_refused(console: Console) -> None:
    page = await console.http.get(BASE)
    for system in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert f"{BASE}/{system}/delete" not in page.text
        assert (await console.http.get(f"{BASE}/{system}/delete")).status_code == 403
        refused = await console.post(f"{BASE}/{system}/delete", {"confirm": system}, headers=HX)
        assert refused.status_code == 403 and "system namespace" in refused.text
    assert f"{BASE}/default/labels" in page.text, "their labels can still be edited"


async def test_a_viewer_sees_the_list_without_buttons_and_may_not_write(console: Console) -> None:
    async with console.app.state.sessions() as db:
        await create_user(db, "vera", team="platform", roles=["viewer"], password="vera-password-1")
        await db.commit()
    await console.http.post("/logout", data={"csrf_token": console.csrf})
    signed = await console.http.post("/login", data={"username": "vera", "password": "vera-password-1", "next": "/"})
    assert signed.status_code == 303
    page = await console.http.get(BASE)
    assert page.status_code == 200 and 'data-namespace="default"' in page.text
    assert f"{BASE}/new" not in page.text and "Edit labels" not in page.text and "/delete" not in page.text
    assert (await console.http.get(BASE + "/new")).status_code == 403
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert csrf
    data = {"name": "vera-ns", "op": "create", "csrf_token": csrf.group(1)}
    refused = await console.http.post(BASE + "/new", data=data)
    assert refused.status_code == 403 and "operator role" in refused.text


async def test_the_pages_speak_chinese(console: Console, shop: tuple[str, str]) -> None:
    name, _ = shop
    console.http.cookies.set("lang", "zh-CN")
    listed = await console.until(f"{BASE}?done=relabelled&name={name}", f'data-namespace="{name}"')
    assert "<h1>命名空间</h1>" in listed.text and "默认拒绝" in listed.text and "活动" in listed.text
    assert f"命名空间 {name} 的标签已修改。" in listed.text
    form = await console.http.get(f"{BASE}/{name}/labels")
    assert f"编辑命名空间 {name} 的标签" in form.text
    confirm = await console.http.get(f"{BASE}/{name}/delete")
    assert f"输入 {name} 以确认" in confirm.text and "命名空间中的所有内容都将随之删除" in confirm.text
