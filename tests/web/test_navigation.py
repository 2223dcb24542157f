"""The way around the console: the Clusters page links each cluster to its Network Policies, and
every page a signed-in user sees has the left navigation (the chosen cluster's pages, then the
console's), with the current entry marked; the Clusters page and the menu speak Chinese too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.config import Settings
from app.main import create_app
from tests.accounts.conftest import ConsoleFactory, login, make_console  # noqa: F401 - fixtures

NAV = re.compile(r'<nav class="sidenav"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>')


def menu(html: str) -> list[tuple[str, str, bool]]:
    """The left navigation's links as (text, href, current)."""
    found = NAV.search(html)
    assert found, "the page has no left navigation"
    return [(text, href, bool(current)) for href, current, text in LINK.findall(found.group(1))]


def current(html: str) -> list[str]:
    return [text for text, _, is_current in menu(html) if is_current]


async def test_a_cluster_name_on_the_clusters_page_leads_to_its_network_policies(admin: Any) -> None:
    _, client = admin
    page = await client.get("/")
    assert page.status_code == 200
    link = re.search(r'<a href="([^"]+)">sandbox</a>', page.text)
    assert link and link.group(1).endswith("/clusters/sandbox/networkpolicies")
    policies = await client.get(link.group(1))
    assert policies.status_code == 200 and "<h1>Network Policies</h1>" in policies.text


async def test_every_page_has_the_menu_with_the_chosen_cluster_and_the_console(admin: Any) -> None:
    _, client = admin
    home = (await client.get("/")).text
    assert [text for text, _, _ in menu(home)] == [
        "Clusters", "Audit log", "My account", "REST API (Swagger UI)", "REST API (ReDoc)", "Whitelist", "Users",
        "Settings",
    ], "without a chosen cluster: the console's pages only (an admin also sees Administration)"
    assert current(home) == ["Clusters"]

    cluster_pages = {
        "/clusters/sandbox/networkpolicies": "Network Policies",
        "/clusters/sandbox/workloads": "Workloads",
        "/clusters/sandbox/connectivity": "Connectivity",
        "/clusters/sandbox/networkpolicies/new": "Network Policies",
    }
    for path, entry in cluster_pages.items():
        html = (await client.get(path)).text
        links = {text: href for text, href, _ in menu(html)}
        assert current(html) == [entry], path
        # the whole path: the REST API's /api/v1/clusters/sandbox/connectivity ends the same way
        assert urlsplit(links["Network Policies"]).path == "/clusters/sandbox/networkpolicies"
        assert urlsplit(links["Workloads"]).path == "/clusters/sandbox/workloads"
        assert urlsplit(links["Connectivity"]).path == "/clusters/sandbox/connectivity"
        assert links["Whitelist"].endswith("/whitelist?cluster=sandbox"), "the Quota Center, for this cluster"
        assert links["Audit log"].endswith("/audit?cluster=sandbox")
        assert links["Clusters"].endswith("/")
        assert links["REST API (Swagger UI)"].endswith("/docs") and links["REST API (ReDoc)"].endswith("/redoc")
        assert "Cluster: sandbox" in html

    for path, entry in {"/whitelist?cluster=sandbox": "Whitelist", "/audit?cluster=sandbox": "Audit log",
                        "/account": "My account", "/admin/users": "Users", "/admin/settings": "Settings"}.items():
        html = (await client.get(path)).text
        assert current(html) == [entry], path
    # Filtered by a cluster, the Quota Center and the audit log keep that cluster's menu.
    assert "Network Policies" in [t for t, _, _ in menu((await client.get("/whitelist?cluster=sandbox")).text)]
    assert "Network Policies" not in [t for t, _, _ in menu((await client.get("/whitelist?cluster=nope")).text)]


async def test_an_operator_sees_no_administration_and_the_login_page_no_menu(
    make_console: ConsoleFactory,  # noqa: F811
) -> None:
    from app.accounts.service import create_user

    async with make_console() as (app, client):
        assert "sidenav" not in (await client.get("/login")).text
        async with app.state.sessions() as db:
            await create_user(db, "ops", team="ops", roles=["operator"], password="ops-password-123")
            await db.commit()
        assert (await login(client, "ops", "ops-password-123")).status_code in (200, 303)
        texts = [text for text, _, _ in menu((await client.get("/")).text)]
        assert "Clusters" in texts and "Whitelist" in texts and "Users" not in texts


async def test_the_clusters_page_and_the_menu_in_chinese(admin: Any) -> None:
    _, client = admin
    client.cookies.set("lang", "zh-CN")
    try:
        html = (await client.get("/")).text
    finally:
        client.cookies.delete("lang")
    main = html.split('<main class="content"', 1)[1]
    for chinese in ("<h1>集群列表</h1>", "名称", "状态", "运行中"):
        assert chinese in main
    for english in (">Clusters<", ">Name<", ">Status<", ">Running<", ">Notes<"):
        assert english not in main
    assert [text for text, _, _ in menu(html)] == [
        "集群列表", "审计日志", "我的账号", "REST API（Swagger UI）", "REST API（ReDoc）", "白名单", "用户", "设置",
    ]
    assert 'aria-label="菜单"' in html


async def test_an_htmx_fragment_carries_no_menu(admin: Any) -> None:
    _, client = admin
    fragment = await client.get("/clusters/sandbox/workloads", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "sidenav" not in fragment.text


async def test_an_address_that_is_no_page_gets_the_error_page_with_the_menu(admin: Any) -> None:
    _, client = admin
    missing = await client.get("/nope")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in missing.text and "No page at this address." in missing.text
    assert menu(missing.text)  # the way back
    client.cookies.set("lang", "zh-CN")
    chinese = await client.get("/clusters/sandbox/networkpolicies/nope/more")
    assert chinese.status_code == 404
    assert "<h1>未找到</h1>" in chinese.text and "该地址没有页面。" in chinese.text
    api = await client.get("/api/v1/nope")  # the REST API keeps its problem details
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"


def test_each_route_name_names_one_route(tmp_path: Path) -> None:
    """``url_for(name)`` takes the first route of that name, and the REST API's routes are matched
    first: a page sharing a name with an API route would link to the API (the menu's Connectivity
    once led to POST-only /api/v1/clusters/{cluster}/connectivity)."""
    app = create_app(Settings(data_dir=tmp_path))
    paths: dict[str, list[str]] = {}

    def walk(routes: list[Any], prefix: str = "") -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes, prefix + (inner.prefix or ""))
            elif getattr(route, "name", None):
                paths.setdefault(route.name, []).append(prefix + getattr(route, "path", ""))

    walk(app.routes)
    assert "connectivity" in paths and "networkpolicies" in paths
    assert {name: found for name, found in paths.items() if len(found) > 1} == {}

