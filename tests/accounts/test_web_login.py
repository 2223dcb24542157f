"""Local login through the running console: pages need a session, the cookie's flags, a new
session id at every login, logout, the idle timeout, and the bootstrap admin."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from app.accounts.models import LoginSession
from app.accounts.sessions import COOKIE_NAME
from tests.accounts.conftest import ADMIN_PASSWORD, ConsoleFactory, csrf_of, login


async def test_pages_redirect_to_login_and_htmx_gets_hx_redirect(console) -> None:
    _app, client = console
    page = await client.get("/?x=1")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/%3Fx%3D1"
    htmx = await client.get("/", headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"].startswith("/login?next=")
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/static/css/console.css")).status_code == 200
    form = await client.get("/login")
    assert form.status_code == 200
    assert 'for="login-username"' in form.text and 'name="password"' in form.text


async def test_login_succeeds_with_the_bootstrap_admin_and_shows_the_user_menu(
    make_console: ConsoleFactory, database_url: str
) -> None:
    async with make_console(database_url=database_url) as (_app, client):
        response = await login(client, next_path="/?from=login")
        assert response.status_code == 303
        assert response.headers["location"] == "/?from=login"
        home = await client.get("/")
        assert home.status_code == 200
        assert "Administrator" in home.text and "platform" in home.text
        assert ">Logout<" in home.text
        token = csrf_of(home.text)
        assert f"hx-headers='{{\"X-CSRF-Token\": \"{token}\"}}'" in home.text


async def test_login_fails_with_a_wrong_password_and_says_so(console) -> None:
    _app, client = console
    response = await login(client, password="wrong-password")
    assert response.status_code == 401
    assert "Invalid username or password" in response.text
    assert COOKIE_NAME not in response.cookies
    assert (await client.get("/")).status_code == 303
    unknown = await login(client, username="nobody", password="whatever-pw")
    assert unknown.status_code == 401


async def test_session_cookie_is_httponly_samesite_lax_and_secure_when_asked(
    make_console: ConsoleFactory,
) -> None:
    async with make_console() as (_app, client):
        header = (await login(client)).headers["set-cookie"]
        assert header.startswith(f"{COOKIE_NAME}=")
        assert "HttpOnly" in header and "SameSite=lax" in header and "Path=/" in header
        assert "Secure" not in header
    async with make_console(cookie_secure=True) as (_app, client):
        header = (await login(client)).headers["set-cookie"]
        assert "Secure" in header
        # httpx keeps Secure cookies off plain http, as a browser would.
        assert (await client.get("/")).status_code == 303


async def test_a_request_over_https_gets_a_secure_cookie(make_console: ConsoleFactory) -> None:
    async with make_console() as (app, _client):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="https://console.test") as client:
            header = (await login(client)).headers["set-cookie"]
            assert "Secure" in header
            assert (await client.get("/")).status_code == 200


async def test_login_issues_a_new_session_id_and_ends_the_old_one(console) -> None:
    _app, client = console
    await login(client)
    first = client.cookies[COOKIE_NAME]
    await login(client)
    second = client.cookies[COOKIE_NAME]
    assert first != second
    assert (await client.get("/")).status_code == 200
    client.cookies.set(COOKIE_NAME, first)
    assert (await client.get("/")).status_code == 303, "the session before the new login still works"


async def test_a_forged_cookie_is_ignored(console) -> None:
    _app, client = console
    client.cookies.set(COOKIE_NAME, "made-up.signature")
    assert (await client.get("/")).status_code == 303


async def test_logout_ends_the_session(console) -> None:
    _app, client = console
    await login(client)
    cookie = client.cookies[COOKIE_NAME]
    token = csrf_of((await client.get("/")).text)
    response = await client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"].endswith("/login")
    assert (await client.get("/")).status_code == 303
    client.cookies.set(COOKIE_NAME, cookie)
    assert (await client.get("/")).status_code == 303, "the cookie still works after logout"


async def test_session_ends_after_the_idle_timeout(make_console: ConsoleFactory) -> None:
    async with make_console(session_idle_timeout=2) as (_app, client):
        await login(client)
        assert (await client.get("/")).status_code == 200
        await asyncio.sleep(2.5)
        response = await client.get("/")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


async def test_session_ends_after_the_absolute_timeout_even_when_busy(make_console: ConsoleFactory) -> None:
    async with make_console(session_absolute_timeout=3600) as (app, client):
        await login(client)
        assert (await client.get("/")).status_code == 200
        async with app.state.sessions() as db:  # logged in an hour ago, active until now
            for row in (await db.execute(select(LoginSession))).scalars():
                row.created_at -= timedelta(hours=1)
            await db.commit()
        assert (await client.get("/")).status_code == 303


async def test_bootstrap_admin_gets_a_generated_password_logged_once(
    make_console: ConsoleFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="app.accounts.service"):
        async with make_console(admin_password="") as (_app, client):
            messages = [r.getMessage() for r in caplog.records if "generated password" in r.getMessage()]
            assert len(messages) == 1
            password = messages[0].split("generated password ", 1)[1].split(" ", 1)[0]
            assert (await login(client, password=password)).status_code == 303
            assert (await login(client, password=ADMIN_PASSWORD)).status_code == 401
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="app.accounts.service"):
        async with make_console(admin_password=""):
            assert not [r for r in caplog.records if "created the first user" in r.getMessage()]


async def test_next_never_leaves_the_site(console) -> None:
    _app, client = console
    response = await login(client, next_path="//evil.example/x")
    assert response.headers["location"] == "/"
