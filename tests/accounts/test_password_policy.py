"""The password policy (at least 12 characters, not a common password) wherever a password is set:
the admin's pages, the first admin from NETPOL_ADMIN_PASSWORD, and a user's own change on
/account (current password, the new one twice; the user's other sessions end; audited)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts import passwords
from app.accounts.service import InvalidAdminPassword, create_user, ensure_bootstrap_admin
from app.audit.service import AuditFilter, query
from app.config import Settings
from app.errors import Invalid
from tests.accounts.conftest import BASE, ConsoleFactory, csrf_of, login
from tests.whitelist.conftest import sessions  # noqa: F401 - a migrated database

GOOD = "tulip-ferry-gravel-42"


@pytest.mark.parametrize("password, why", [
    ("short-pw", "at least 12 characters"),
    ("qwertyuiop12", "too common"),        # in the list as it is
    ("Password123456", "too common"),      # a listed word with digits around it
    ("!!Sunshine2024!!", "too common"),
    ("abcabcabcabc", "too common"),        # one short piece repeated
    ("aaaaaaaaaaaaaaaa", "too common"),
])
def test_weak_passwords_are_refused_at_the_password_field(password: str, why: str) -> None:
    with pytest.raises(Invalid) as refused:
        passwords.check(password)
    (cause,) = refused.value.causes
    assert cause.field == "password" and why in cause.detail
    assert password not in str(refused.value), "the refusal repeats the password"


@pytest.mark.parametrize("password", [GOOD, "correct-horse-battery", "bootstrap-admin-pw", "Zq8#mPv2$Lw9"])
def test_good_passwords_pass(password: str) -> None:
    assert passwords.problem(password) == ""
    passwords.check(password)


def test_the_common_list_ships_with_the_package() -> None:
    common = passwords.common_passwords()
    assert 5_000 <= len(common) <= 20_000
    assert {"password", "123456", "qwerty123456", "1qaz2wsx3edc"} <= common
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"app.accounts" = ["common-passwords.txt"]' in pyproject


async def test_a_weak_first_admin_password_stops_the_start_with_its_reason(
    sessions: async_sessionmaker[AsyncSession],  # noqa: F811
) -> None:
    with pytest.raises(InvalidAdminPassword, match="NETPOL_ADMIN_PASSWORD is refused: at least 12 characters"):
        await ensure_bootstrap_admin(sessions, Settings(admin_password="admin123"))
    with pytest.raises(InvalidAdminPassword, match="too common"):
        await ensure_bootstrap_admin(sessions, Settings(admin_password="password1234"))
    assert await ensure_bootstrap_admin(sessions, Settings(admin_password=GOOD)) == GOOD


async def test_the_admin_pages_refuse_weak_passwords_at_the_field(console: tuple) -> None:
    app, client = console
    assert (await login(client)).status_code == 303
    page = await client.get("/admin/users")
    assert 'minlength="12"' in page.text
    for weak, why in (("short-pw", "at least 12 characters"), ("letmein123456", "too common")):
        created = await client.post("/admin/users", data={
            "csrf_token": csrf_of(page.text), "username": "walt", "team": "t", "roles": "viewer", "password": weak})
        assert created.status_code == 422, created.text
        assert 'id="error-password"' in created.text and why in created.text
    made = await client.post("/admin/users", data={
        "csrf_token": csrf_of(page.text), "username": "walt", "team": "t", "roles": "viewer", "password": GOOD})
    assert made.status_code == 201
    reset = await client.post("/admin/users/walt/password",
                              data={"csrf_token": csrf_of(page.text), "password": "iloveyou2024"})
    assert reset.status_code == 422 and "too common" in reset.text


async def _signed_in(app: object, username: str, password: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)  # type: ignore[arg-type]
    assert (await login(client, username, password)).status_code == 303
    return client


async def test_users_change_their_own_password_on_the_account_page(make_console: ConsoleFactory) -> None:
    async with make_console() as (app, _):
        async with app.state.sessions() as db:
            await create_user(db, "uma", team="t", roles=["viewer"], password=GOOD)
            await db.commit()
        here, elsewhere = await _signed_in(app, "uma", GOOD), await _signed_in(app, "uma", GOOD)
        try:
            page = await here.get("/account")
            for label in ("Current password", "New password", "Repeat the new password", "Change password"):
                assert label in page.text
            token = csrf_of(page.text)

            async def change(current: str, new: str, repeat: str) -> httpx.Response:
                return await here.post("/account/password", data={
                    "csrf_token": token, "current": current, "password": new, "repeat": repeat})

            for (current, new, repeat), field, why in (
                (("wrong-current-pw", "maple-river-stone-7", "maple-river-stone-7"), "current",
                 "not your current password"),
                ((GOOD, "short-pw", "short-pw"), "password", "at least 12 characters"),
                ((GOOD, "baseball123456", "baseball123456"), "password", "too common"),
                ((GOOD, "maple-river-stone-7", "maple-river-stone-8"), "repeat", "not the same as the new password"),
            ):
                refused = await change(current, new, repeat)
                assert refused.status_code == 422, refused.text
                assert f'id="error-{field}"' in refused.text and why in refused.text
                assert new not in refused.text and current not in refused.text, "a password was echoed"

            changed = await change(GOOD, "maple-river-stone-7", "maple-river-stone-7")
            assert changed.status_code == 303
            said = await here.get(changed.headers["location"])
            assert said.status_code == 200, "the session that made the change ended"
            assert "Your password was changed. Your other sessions were signed out." in said.text
            assert (await elsewhere.get("/account")).status_code == 303, "another session survived"
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as fresh:
                assert (await login(fresh, "uma", GOOD)).status_code == 401
                assert (await login(fresh, "uma", "maple-river-stone-7")).status_code == 303

            async with app.state.sessions() as db:
                page_of = await query(db, AuditFilter(kind="User"), limit=50)
            entries = [(e.actor, e.name, e.action, e.outcome) for e in reversed(page_of.entries)]
            assert entries == [
                ("uma", "uma", "user.password", "failure"),  # the wrong current password
                ("uma", "uma", "user.password", "success"),
            ]
            assert all("maple" not in (e.message + (e.after_yaml or "")) for e in page_of.entries)
        finally:
            await here.aclose()
            await elsewhere.aclose()
