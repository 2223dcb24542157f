"""OpenID Connect login through a real provider process (npm oidc-provider, tests/oidc): the
authorization code flow with PKCE, the dev login form posted like a person would, and roles and
team mapped from the `groups` claim (which this provider releases only from userinfo)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.accounts.models import User
from tests.accounts.conftest import BASE, ConsoleFactory
from tests.conftest import free_port

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID, CLIENT_SECRET = "netpol-console", "test-client-secret"
ACCOUNTS = {
    "erin": {"name": "Erin Admin", "groups": ["netpol-admins", "team-payments"]},
    "frank": {"name": "Frank Dev", "groups": ["devs"]},
    "ghost": {"name": "Ghost", "groups": ["unmapped"]},
}


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The provider's issuer URL, served by `node provider.js` on a free port."""
    node = shutil.which("node")
    assert node, "node is needed for the OIDC provider"
    if not (OIDC_DIR / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=OIDC_DIR, check=True,
                       capture_output=True, timeout=300)
    port = free_port()
    env = {**os.environ, "OIDC_PORT": str(port), "OIDC_CLIENT_ID": CLIENT_ID,
           "OIDC_CLIENT_SECRET": CLIENT_SECRET,
           "OIDC_REDIRECT_URI": f"{BASE}/auth/callback", "OIDC_ACCOUNTS": json.dumps(ACCOUNTS)}
    proc = subprocess.Popen([node, "provider.js"], cwd=OIDC_DIR, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"the provider exited: {proc.stdout.read() if proc.stdout else ''}"
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the OIDC provider did not start")
        yield issuer
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


def oidc_settings(issuer: str) -> dict[str, Any]:
    return {
        "oidc_discovery_url": f"{issuer}/.well-known/openid-configuration",
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_role_map": {"netpol-admins": ["admin", "approver"], "devs": ["operator"]},
        "oidc_team_map": {"team-payments": "payments", "devs": "app-team"},
    }


def _form(html: str) -> tuple[str, dict[str, str]]:
    """The page's form: its action and its named inputs' values."""
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    assert action, f"no form in the provider's page: {html[:500]}"
    fields = {m.group(1): unescape(m.group(2)) for m in re.finditer(
        r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)}
    for name in re.findall(r'<input[^>]*name="([^"]+)"', html):
        fields.setdefault(name, "")
    return unescape(action.group(1)), fields


def browser(app: FastAPI) -> httpx.AsyncClient:
    """A client reaching the console in-process and the provider over the network."""
    return httpx.AsyncClient(mounts={BASE: httpx.ASGITransport(app=app)}, follow_redirects=True, timeout=20)


async def sign_in_via_provider(client: httpx.AsyncClient, login: str) -> tuple[httpx.Response, list[str]]:
    """Follow /login/oidc through the provider's dev login and consent pages back to the console;
    the final answer and every URL requested on the way."""
    seen: list[str] = []
    client.event_hooks["request"] = [lambda r: _record(seen, r)]
    response = await client.get(f"{BASE}/login/oidc", params={"next": "/?after=sso"})
    for _ in range(4):
        if not str(response.url).startswith(BASE) and "<form" in response.text:
            action, fields = _form(response.text)
            if fields.get("prompt") == "login":
                fields.update(login=login, password="any-password")
            response = await client.post(urljoin(str(response.url), action), data=fields)
        else:
            break
    return response, seen


async def _record(seen: list[str], request: httpx.Request) -> None:
    seen.append(str(request.url))


async def test_oidc_login_maps_groups_to_roles_and_team(
    make_console: ConsoleFactory, provider: str, database_url: str
) -> None:
    async with make_console(database_url=database_url, **oidc_settings(provider)) as (app, plain):
        login_page = await plain.get("/login")
        assert "Sign in with Single sign-on" in login_page.text

        async with browser(app) as client:
            response, seen = await sign_in_via_provider(client, "erin")
            assert response.status_code == 200, response.text[:500]
            assert str(response.url) == f"{BASE}/?after=sso"
            assert "Erin Admin" in response.text and "payments" in response.text
            authorize = next(u for u in seen if u.startswith(f"{provider}/auth?"))
            query = parse_qs(urlsplit(authorize).query)
            assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
            assert any(u.startswith(f"{BASE}/auth/callback?code=") for u in seen)

            # Signed in a second time: the same user, no duplicate.
            async with browser(app) as client2:
                again, _ = await sign_in_via_provider(client2, "erin")
            assert again.status_code == 200

        async with app.state.sessions() as db:
            users = {u.username: u for u in (await db.execute(select(User))).scalars()}
        erin = users["erin"]
        assert erin.oidc_subject == "erin" and erin.password_hash is None
        assert erin.roles == frozenset({"admin", "approver"}) and erin.team == "payments"
        assert erin.email == "erin@example.com"
        assert set(users) == {"admin", "erin"}


async def test_oidc_user_without_a_mapped_team_is_refused_with_a_reason(
    make_console: ConsoleFactory, provider: str
) -> None:
    async with make_console(**oidc_settings(provider)) as (app, _plain):
        async with browser(app) as client:
            response, _ = await sign_in_via_provider(client, "ghost")
            assert response.status_code == 403
            assert "in no team known to this console" in response.text
            assert (await client.get(f"{BASE}/", follow_redirects=False)).status_code == 303


async def test_oidc_default_role_and_a_local_name_clash(make_console: ConsoleFactory, provider: str) -> None:
    settings = oidc_settings(provider) | {"oidc_role_map": {}}
    async with make_console(**settings) as (app, _plain):
        from app.accounts import service

        async with app.state.sessions() as db:
            await service.create_user(db, "frank", team="other", roles=["admin"], password="local-frank-pw")
            await db.commit()
        async with browser(app) as client:
            response, _ = await sign_in_via_provider(client, "frank")
            assert response.status_code == 200
        async with app.state.sessions() as db:
            local = await service.get_user(db, "frank")
            sso = await service.get_user(db, "frank-2")
        assert local.oidc_subject is None and local.roles == frozenset({"admin"})
        assert sso.oidc_subject == "frank" and sso.roles == frozenset({"viewer"}) and sso.team == "app-team"


async def test_a_forged_callback_is_refused(make_console: ConsoleFactory, provider: str) -> None:
    async with make_console(**oidc_settings(provider)) as (_app, client):
        response = await client.get("/auth/callback", params={"code": "x", "state": "y"})
        assert response.status_code == 401
        assert "Please sign in again" in response.text
