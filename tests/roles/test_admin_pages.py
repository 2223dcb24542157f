"""The admin pages (users, settings) and the user's own page (API tokens): what they show, what
they change, and what the audit log keeps of it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from app.accounts import service as accounts
from app.accounts import tokens
from app.audit import service as audit
from app.whitelist.service import api_gated
from tests.accounts.conftest import BASE, login
from tests.roles.conftest import Console, password_of

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def entries(c: Console, **filters: Any) -> list[audit.AuditEntry]:
    async with c.app.state.sessions() as db:
        return (await audit.query(db, audit.AuditFilter(**filters), limit=100)).entries


def generated_secret(html: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}" class="secret" value="([^"]+)"', html)
    assert match, f"no #{field_id} on the page"
    return match.group(1)


async def test_the_users_table_shows_each_user(console: Console) -> None:
    page = await console.pages["admin"].get("/admin/users")
    assert page.status_code == 200
    row = re.search(r'<tr id="user-olga">(.*?)</tr>', page.text, re.S)
    assert row, page.text
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
    assert cells[0] == "olga" and cells[2] == "app-team" and "operator" in cells[3] and cells[4] == "No"
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", cells[5])  # she signed in: her last login
    assert "Never" in page.text  # rita never signed in


async def test_creating_a_user_with_a_generated_password_shows_it_once_and_audits(console: Console) -> None:
    c = console
    r = await c.post_page("admin", "/admin/users", [("username", "gina"), ("display_name", "Gina"),
                                                    ("team", "app-team"), ("roles", "operator"), ("password", "")])
    assert r.status_code == 201 and "User created" in r.text
    secret = generated_secret(r.text, "new-password")
    assert secret not in (await c.pages["admin"].get("/admin/users")).text  # shown once only

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=c.app), base_url=BASE) as gina:
        assert (await login(gina, "gina", secret)).status_code == 303

    [entry] = await entries(c, kind="User", name="gina", action="user.create")
    assert entry.actor == "admin" and entry.via == "console" and entry.outcome == "success"
    assert entry.before_yaml is None and "team: app-team" in (entry.after_yaml or "")
    assert "argon2" not in (entry.after_yaml or "") and secret not in (entry.after_yaml or "")


async def test_an_invalid_or_duplicate_user_is_refused_with_the_form_kept(console: Console) -> None:
    c = console
    bad = await c.post_page("admin", "/admin/users", [("username", "-bad"), ("team", "t"), ("roles", "viewer")])
    assert bad.status_code == 422 and 'value="-bad"' in bad.text and 'aria-invalid="true"' in bad.text
    dup = await c.post_page("admin", "/admin/users", [("username", "olga"), ("team", "t"), ("roles", "viewer")])
    assert dup.status_code == 409 and "already exists" in dup.text
    # a taken name is told at the Username field (and in the summary, linking to it)
    assert '<p class="error" id="error-username">Duplicate value: &#34;olga&#34;: a user of this name already exists' \
        in dup.text
    assert 'aria-describedby="error-username"' in dup.text and '<a href="#new-username">Username: ' in dup.text
    [refused] = await entries(c, kind="User", name="olga", action="user.create")
    assert refused.outcome == "failure"


async def test_changing_roles_and_team_is_audited_with_before_and_after(console: Console) -> None:
    c = console
    r = await c.post_page("admin", "/admin/users/vic", [("team", "ops"), ("roles", "viewer"), ("roles", "operator"),
                                                         ("display_name", "Vic")])
    assert r.status_code == 303 and r.headers["location"].endswith("/admin/users/vic?done=updated")
    async with c.app.state.sessions() as db:
        vic = await accounts.get_user(db, "vic")
        assert vic.team == "ops" and vic.roles == {"viewer", "operator"}
        await accounts.update_user(db, "vic", team="viewers", roles=["viewer"])  # as the matrix expects
        await db.commit()
    [entry] = await entries(c, kind="User", name="vic", action="user.update")
    assert "team: viewers" in (entry.before_yaml or "") and "team: ops" in (entry.after_yaml or "")
    diff = audit.entry_diff(entry)
    assert "+- operator" in diff


async def test_an_admin_cannot_lock_themselves_out(console: Console) -> None:
    c = console
    demote = await c.post_page("admin", "/admin/users/admin", [("team", "platform"), ("roles", "viewer")])
    assert demote.status_code == 403 and "admin role from yourself" in demote.text
    disable = await c.post_page("admin", "/admin/users/admin/disable", {})
    assert disable.status_code == 403
    async with c.app.state.sessions() as db:
        admin = await accounts.get_user(db, "admin")
        assert not admin.disabled and "admin" in admin.roles


async def test_disabling_ends_the_users_sessions_and_enabling_lets_them_back(console: Console) -> None:
    c = console
    async with c.app.state.sessions() as db:
        await accounts.create_user(db, "dora", team="t", roles=["viewer"], password=password_of("dora"))
        await db.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=c.app), base_url=BASE) as dora:
        assert (await login(dora, "dora", password_of("dora"))).status_code == 303
        assert (await dora.get("/account")).status_code == 200
        assert (await c.post_page("admin", "/admin/users/dora/disable", {})).status_code == 303
        assert (await dora.get("/account")).status_code == 303  # back to the login page
        assert (await login(dora, "dora", password_of("dora"))).status_code == 401
        page = await c.pages["admin"].get("/admin/users/dora?done=disabled")
        assert "The user was disabled." in page.text and "Enable user" in page.text
        assert (await c.post_page("admin", "/admin/users/dora/enable", {})).status_code == 303
        assert (await login(dora, "dora", password_of("dora"))).status_code == 303
    actions = [e.action for e in await entries(c, kind="User", name="dora")]
    assert actions == ["user.enable", "user.disable"]


async def test_a_password_reset_sets_the_typed_or_a_generated_password(console: Console) -> None:
    c = console
    async with c.app.state.sessions() as db:
        await accounts.create_user(db, "pete", team="t", roles=["viewer"], password=password_of("pete"))
        await db.commit()
    short = await c.post_page("admin", "/admin/users/pete/password", {"password": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.text
    typed = await c.post_page("admin", "/admin/users/pete/password", {"password": "typed-password-1"})
    assert typed.status_code == 200 and "The password was changed." in typed.text
    assert 'id="generated-password"' not in typed.text
    generated = await c.post_page("admin", "/admin/users/pete/password", {"password": ""})
    secret = generated_secret(generated.text, "generated-password")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=c.app), base_url=BASE) as pete:
        assert (await login(pete, "pete", "typed-password-1")).status_code == 401
        assert (await login(pete, "pete", secret)).status_code == 303
    found = await entries(c, kind="User", name="pete", action="user.password")
    assert [e.outcome for e in found] == ["success", "success"]
    assert all("argon2" not in (e.after_yaml or "") for e in found)


async def test_the_settings_switch_gates_the_api_and_is_audited(console: Console) -> None:
    c = console
    page = await c.pages["admin"].get("/admin/settings")
    assert "Gate the REST API with the whitelist too" in page.text
    assert 'name="api_gated" value="on" checked' in page.text  # the conftest turned it on
    saved = await c.post_page("admin", "/admin/settings", {})
    assert saved.status_code == 303
    async with c.app.state.sessions() as db:
        assert await api_gated(db) is False
    page = await c.pages["admin"].get(saved.headers["location"])
    assert "The settings were saved." in page.text and 'value="on" checked' not in page.text
    assert (await c.post_page("admin", "/admin/settings", {"api_gated": "on"})).status_code == 303
    found = await entries(c, kind="Setting", action="setting.update", actor="admin")
    assert [("true" in (e.after_yaml or "")) for e in found[:2]] == [True, False]


async def test_a_user_makes_a_token_sees_it_once_uses_it_and_revokes_it(console: Console) -> None:
    c = console
    made = await c.post_page("viewer", "/account/tokens", {"name": "my portal", "scope": "read", "expires": "30d"})
    assert made.status_code == 201 and "shown only this once" in made.text
    plain = generated_secret(made.text, "new-token")
    assert plain.startswith("npc_")
    page = await c.pages["viewer"].get("/account")
    assert plain not in page.text and "my portal" in page.text

    assert c.api is not None
    used = await c.api.get("/api/v1/clusters", headers={"Authorization": f"Bearer {plain}"})
    assert used.status_code == 200
    async with c.app.state.sessions() as db:
        [token] = [t for t, _ in await tokens.list_tokens(db, "vic") if t.name == "my portal"]
        assert token.scope == "read" and token.expires_at is not None and token.last_used_at is not None

    # Someone else's token is not found here, whoever asks.
    other = await c.post_page("approver", f"/account/tokens/{token.id}/revoke", {})
    assert other.status_code == 404
    revoked = await c.post_page("viewer", f"/account/tokens/{token.id}/revoke", {})
    assert revoked.status_code == 303
    after = await c.api.get("/api/v1/clusters", headers={"Authorization": f"Bearer {plain}"})
    assert after.status_code == 401

    found = await entries(c, kind="APIToken", name="vic/my portal")
    assert [e.action for e in found] == ["token.revoke", "token.create"]  # once each, by the user
    assert all(e.actor == "vic" and e.via == "console" and plain not in (e.after_yaml or "") for e in found)


async def test_a_bad_token_form_is_shown_again_with_the_error(console: Console) -> None:
    r = await console.post_page("viewer", "/account/tokens", {"name": "", "scope": "admin", "expires": "90d"})
    assert r.status_code == 422 and 'aria-invalid="true"' in r.text


async def test_the_account_page_shows_who_the_user_is(console: Console) -> None:
    page = await console.pages["operator"].get("/account")
    assert '<dd id="account-team">app-team</dd>' in page.text and "operator" in page.text
    assert "API tokens" in page.text and "matrix" in page.text  # the conftest's token
    assert '/account" class="user-link"' in page.text and '/admin/users" class="user-link"' not in page.text
    assert '/admin/users" class="user-link"' in (await console.pages["admin"].get("/account")).text


async def test_the_pages_speak_chinese_too(console: Console) -> None:
    client = console.pages["admin"]
    client.cookies.set("lang", "zh-CN")
    for url, words in (("/admin/users", "创建用户"), ("/admin/settings", "REST API 也受白名单管控"),
                       ("/account", "API 令牌")):
        page = await client.get(url)
        assert page.status_code == 200 and words in page.text and "系统管理" in page.text
    client.cookies.delete("lang")
