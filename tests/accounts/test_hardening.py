"""Review fixes in sign-in and accounts: parallel guesses are throttled, cross-site login posts
are refused, ``next`` never leaves the site, /readyz hides details from anonymous callers, pages
showing a one-time secret are not cached, and token lifetimes are bounded."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from app.accounts.tokens import parse_duration
from app.cli import main
from app.errors import Invalid
from app.web.accounts import safe_next
from tests.accounts.conftest import ADMIN_PASSWORD, ConsoleFactory, csrf_of, login
from tests.conftest import SandboxProcess

EVIL_NEXTS = ("/\t/evil.com", "/\r\nSet-Cookie: a=b", "//evil.com", "/\\evil.com", "https://evil.com/",
              "/\n/evil.com", "/a\x7fb", "/ok\\..\\x")


async def test_parallel_wrong_passwords_get_at_most_the_maximum_of_password_checks(
    make_console: ConsoleFactory,
) -> None:
    async with make_console() as (_app, client):  # login_max_failures defaults to 5
        responses = await asyncio.gather(
            *(login(client, password=f"wrong-password-{i}") for i in range(15))
        )
        codes = sorted(r.status_code for r in responses)
        assert codes.count(401) <= 5, codes
        assert set(codes) <= {401, 429}, codes
        assert codes.count(429) >= 10, codes
        # and the right password is refused as well while the lock holds
        assert (await login(client)).status_code == 429


async def test_a_success_removes_its_own_attempt_and_the_users_failures(make_console: ConsoleFactory) -> None:
    async with make_console(login_max_failures=3) as (_app, client):
        assert (await login(client, password="wrong-password")).status_code == 401
        for _ in range(3):  # had the successes stayed counted, the address would lock here
            assert (await login(client)).status_code == 303
        assert (await login(client, username="someone", password="guess-1")).status_code == 401
        assert (await login(client)).status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "https://console.test"},  # another scheme is another origin
        {"Origin": "http://console.test:8080"},  # and another port
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
async def test_a_cross_site_login_post_is_refused(make_console: ConsoleFactory, headers: dict[str, str]) -> None:
    async with make_console() as (_app, client):
        response = await client.post(
            "/login", data={"username": "admin", "password": ADMIN_PASSWORD, "next": "/"}, headers=headers
        )
        assert response.status_code == 403
        assert "posted from another site" in response.text
        assert "set-cookie" not in response.headers
        assert (await client.get("/")).status_code == 303  # not signed in


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "http://console.test"}, {"Origin": "http://console.test:80"},
     {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}],
)
async def test_a_same_origin_or_header_less_login_post_works(
    make_console: ConsoleFactory, headers: dict[str, str]
) -> None:
    async with make_console() as (_app, client):
        response = await client.post(
            "/login", data={"username": "admin", "password": ADMIN_PASSWORD, "next": "/"}, headers=headers
        )
        assert response.status_code == 303
        assert (await client.get("/")).status_code == 200


@pytest.mark.parametrize("value", EVIL_NEXTS)
def test_safe_next_refuses_anything_but_a_local_path(value: str) -> None:
    assert safe_next(value) == "/"


def test_safe_next_keeps_local_paths() -> None:
    assert safe_next("/clusters/sandbox/networkpolicies?namespace=a&x=1") == (
        "/clusters/sandbox/networkpolicies?namespace=a&x=1")
    assert safe_next("/a:b/c") == "/a:b/c"


@pytest.mark.parametrize("value", EVIL_NEXTS)
async def test_login_and_language_never_redirect_off_site(make_console: ConsoleFactory, value: str) -> None:
    async with make_console() as (_app, client):
        signed_in = await login(client, next_path=value)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
        switched = await client.get("/language", params={"lang": "en", "next": value})
        assert switched.status_code == 303 and switched.headers["location"] == "/"


async def test_hx_redirect_after_login_is_percent_encoded(make_console: ConsoleFactory) -> None:
    async with make_console() as (_app, client):
        response = await client.post(
            "/login", data={"username": "admin", "password": ADMIN_PASSWORD, "next": "/clusters?q=é ü"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 204
        location = response.headers["hx-redirect"]
        assert location.isascii() and " " not in location
        assert unquote(location) == "/clusters?q=é ü"


async def test_readyz_tells_anonymous_callers_only_whether_it_is_ready(make_console: ConsoleFactory) -> None:
    async with make_console() as (_app, client):
        anonymous = await client.get("/readyz")
        for _ in range(100):  # the cluster caches sync in the background
            if anonymous.status_code == 200:
                break
            await asyncio.sleep(0.1)
            anonymous = await client.get("/readyz")
        assert anonymous.status_code == 200
        assert anonymous.json() == {"ready": True}
        await login(client)
        signed_in = await client.get("/readyz")
        assert signed_in.status_code == 200
        body = signed_in.json()
        assert body["ready"] is True and body["checks"]["database"] == {"ready": True}
        assert "sandbox" in body["checks"]["clusters"]


async def test_readyz_when_not_ready_keeps_503_without_details(
    make_console: ConsoleFactory, sandbox: SandboxProcess, tmp_path: Path
) -> None:
    unreachable = tmp_path / "unreachable.kubeconfig"
    text = Path(sandbox.kubeconfig_path).read_text()
    unreachable.write_text(re.sub(r"server: \S+", "server: https://127.0.0.1:9", text))
    async with make_console(kubeconfig=unreachable) as (_app, client):
        anonymous = await client.get("/readyz")
        assert anonymous.status_code == 503 and anonymous.json() == {"ready": False}
        await login(client)
        signed_in = await client.get("/readyz")
        assert signed_in.status_code == 503
        assert signed_in.json()["checks"]["clusters"]


async def test_pages_showing_a_one_time_secret_are_not_cached(make_console: ConsoleFactory) -> None:
    async with make_console() as (_app, client):
        await login(client)
        token = csrf_of((await client.get("/admin/users")).text)
        created = await client.post("/admin/users", data={
            "csrf_token": token, "username": "carol", "display_name": "", "team": "t", "roles": "viewer",
        })
        assert created.status_code == 201
        assert created.headers["cache-control"] == "no-store"
        typed = await client.post("/admin/users", data={
            "csrf_token": token, "username": "dave", "team": "t", "roles": "viewer", "password": "dave-pw-12345",
        })
        assert typed.status_code == 201 and "no-store" not in typed.headers.get("cache-control", "")

        reset = await client.post("/admin/users/carol/password", data={"csrf_token": token})
        assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"

        made = await client.post("/account/tokens", data={
            "csrf_token": token, "name": "ci", "scope": "read", "expires": "90d",
        })
        assert made.status_code == 201 and re.search(r"npc_[\w-]{40,}", made.text)
        assert made.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("text", ["3651d", "522w", "9" * 30, "9" * 30 + "w", "9" * 5000, "99999999999999s"])
def test_parse_duration_caps_at_ten_years(text: str) -> None:
    with pytest.raises(Invalid):
        parse_duration(text)


def test_parse_duration_accepts_up_to_ten_years() -> None:
    assert parse_duration("3650d").days == 3650
    assert parse_duration("520w").days == 3640
    assert parse_duration("12h").total_seconds() == 12 * 3600


async def test_the_account_page_answers_a_huge_lifetime_with_422(make_console: ConsoleFactory) -> None:
    async with make_console() as (_app, client):
        await login(client)
        token = csrf_of((await client.get("/account")).text)
        for expires in ("9" * 30 + "w", "3651d"):
            response = await client.post("/account/tokens", data={
                "csrf_token": token, "name": "ci", "scope": "read", "expires": expires,
            })
            assert response.status_code == 422
            assert "at most 10 years" in response.text


def test_tokens_create_refuses_a_huge_lifetime(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["tokens", "create", "--user", "admin", "--name", "ci", "--expires", "9" * 30 + "w",
                 "--data-dir", str(tmp_path)])
    assert code == 1
    assert "at most 10 years" in capsys.readouterr().err
