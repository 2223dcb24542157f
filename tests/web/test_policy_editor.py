"""The Create / Edit panel's answers to a taken name and to a user who may not write: the panel
again with everything typed (never an error page), with and without htmx."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from kubernetes_asyncio import client as k8s

from app.accounts.service import create_user
from app.policies.validation import merge_warnings
from tests.accounts.conftest import csrf_of, login
from tests.web.test_networkpolicies_page import PANEL, make_policy, post_panel

QUOTA_CENTER_LINK = r'<a href="[^"]*/whitelist\?cluster=sandbox">Apply in the Quota Center</a>'
WAYS = [pytest.param({}, id="without-javascript"), pytest.param(PANEL, id="htmx")]


def name_input(html: str) -> str:
    match = re.search(r'<input id="f-name"[^>]*>', html)
    assert match, "no Name field in the panel"
    return match.group(0)


def button(html: str, op: str) -> str:
    """The visible button posting ``op`` (not the out-of-view default button for Enter)."""
    for match in re.finditer(r"<button[^>]*>", html):
        if f'value="{op}"' in match.group(0) and "implicit-submit" not in match.group(0):
            return match.group(0)
    raise AssertionError(f"no {op} button in the panel")


def assert_panel(response: httpx.Response, headers: dict[str, str]) -> None:
    """The panel as htmx swaps it (a fragment), or the whole page without JavaScript."""
    if headers:
        assert response.text.lstrip().startswith('<div id="panel"') and "<html" not in response.text
    else:
        assert "<html" in response.text and 'id="panel"' in response.text


async def a_filled_form(client: httpx.AsyncClient, namespace: str, name: str) -> str:
    """A Create form with a name and a Source rule allowing one CIDR."""
    page = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
    html = (await post_panel(client, page.text, "add:ingress.rules", name=name)).text
    html = (await post_panel(client, html, "add:ingress[0].peers")).text
    html = (await post_panel(client, html, "refresh", **{"ingress[0].peers[0].kind": "ipBlock"})).text
    return (await post_panel(client, html, "refresh", **{"ingress[0].peers[0].cidr": "10.8.0.0/16"})).text


def assert_name_taken(response: httpx.Response, name: str, headers: dict[str, str]) -> None:
    assert response.status_code == 409, response.text
    assert_panel(response, headers)
    field = name_input(response.text)
    assert f'value="{name}"' in field and 'aria-invalid="true"' in field
    error = re.search(r'<p class="error" id="f-name-error">([^<]*)</p>', response.text)
    assert error and "already exists" in error.group(1)
    summary = response.text[response.text.index("The policy is not valid:") :]
    assert '<a href="#f-name">' in summary and "already exists" in summary[: summary.index("</ul>")]
    assert 'value="10.8.0.0/16"' in response.text, "the rest of the form is kept"
    assert button(response.text, "next"), "the form step, ready for another name"


@pytest.mark.parametrize("headers", WAYS)
async def test_next_with_a_name_already_taken_shows_it_at_the_name_field(
    admin: Any, kube: Any, namespace: str, headers: dict[str, str]
) -> None:
    _, client = admin
    await make_policy(kube, namespace, "taken", {"podSelector": {}})
    html = await a_filled_form(client, namespace, "taken")
    assert_name_taken(await post_panel(client, html, "next", headers=headers), "taken", headers)


@pytest.mark.parametrize("headers", WAYS)
async def test_ok_after_someone_took_the_name_meanwhile_shows_it_at_the_name_field(
    admin: Any, kube: Any, namespace: str, headers: dict[str, str]
) -> None:
    _, client = admin
    review = await post_panel(client, await a_filled_form(client, namespace, "late"), "next")
    assert review.status_code == 200 and "dryRun=All" in review.text
    await make_policy(kube, namespace, "late", {"podSelector": {}})  # someone else, between Next and OK
    assert_name_taken(await post_panel(client, review.text, "apply", headers=headers), "late", headers)
    stored = await k8s.NetworkingV1Api(kube).read_namespaced_network_policy("late", namespace)
    assert stored.spec.ingress is None, "the other policy is untouched"


async def sign_in_as(app: FastAPI, client: httpx.AsyncClient, username: str, roles: list[str]) -> None:
    async with app.state.sessions() as db:
        await create_user(db, username, team="app-team", roles=roles, password=f"{username}-password-123")
        await db.commit()
    await client.post("/logout", headers={"X-CSRF-Token": csrf_of((await client.get("/")).text)})
    await login(client, username, f"{username}-password-123")


@pytest.mark.parametrize("headers", WAYS)
async def test_an_operator_without_whitelist_approval_is_told_as_the_panel_opens(
    admin: Any, kube: Any, namespace: str, headers: dict[str, str]
) -> None:
    app, client = admin
    await sign_in_as(app, client, "dev", ["operator"])

    opened = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
    assert opened.status_code == 200
    for html in (opened.text, (await post_panel(client, opened.text, "add:ingress.rules", headers=headers)).text):
        refusal = html[html.index('id="panel-refusal"') :]
        refusal = refusal[: refusal.index("</div>")]
        assert "You cannot apply network policies in this cluster." in refusal
        assert "Team app-team has no approved whitelist application for cluster sandbox." in refusal
        assert re.search(QUOTA_CENTER_LINK, refusal)
        assert "(/whitelist" not in html, "the link's target is not printed as text"
        assert " disabled" in button(html, "next") and 'aria-describedby="panel-refusal"' in button(html, "next")
        assert re.search(r'class="implicit-submit"[^>]* disabled', html), "Enter must not submit either"

    refused = await post_panel(client, opened.text, "next", headers=headers, name="sneaky")
    assert refused.status_code == 403
    assert_panel(refused, headers)
    assert 'value="sneaky"' in name_input(refused.text) and 'id="panel-refusal"' in refused.text
    assert (await k8s.NetworkingV1Api(kube).list_namespaced_network_policy(namespace)).items == []


async def test_a_viewer_is_told_the_operator_role_is_needed_as_the_panel_opens(admin: Any, namespace: str) -> None:
    app, client = admin
    await sign_in_as(app, client, "watcher", ["viewer"])
    opened = await client.get(f"/clusters/sandbox/networkpolicies/new?namespace={namespace}")
    assert opened.status_code == 200
    assert "the operator role is required" in opened.text and 'id="panel-refusal"' in opened.text
    assert " disabled" in button(opened.text, "next")


async def test_the_list_banner_links_to_the_quota_center_without_printing_the_path(admin: Any) -> None:
    app, client = admin
    await sign_in_as(app, client, "dev", ["operator"])
    page = await client.get("/clusters/sandbox/networkpolicies?namespace=default")
    banner = page.text[page.text.index('id="read-only"') :]
    banner = banner[: banner.index("</div>")]
    assert "Team app-team has no approved whitelist application for cluster sandbox." in banner
    assert re.search(QUOTA_CENTER_LINK, banner)
    assert "(/whitelist" not in page.text


def test_warnings_that_differ_only_in_quoting_or_spacing_are_one_warning() -> None:
    """Issue 11, defect 4 (the review through the real API server: test_strict_and_authority.py)."""
    path = "spec.ingress[0].from[0].ipBlock.cidr"
    server = [path + r': IPv6 CIDR value \"2001:DB8::/32\" should be in  canonical format']
    ours = [path + ': IPv6 CIDR value "2001:DB8::/32" should be in canonical format']
    assert merge_warnings(server, ours) == server
    assert merge_warnings(ours, server, ["another"]) == [*ours, "another"]
