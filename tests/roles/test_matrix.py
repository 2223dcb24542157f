"""Every role tried on every action, through the pages (session cookie + CSRF, as a browser posts)
and through the REST API (tokens from ``app.accounts.tokens.create_token``).

The roles (see conftest): viewer, operator (team approved for the cluster), stranger (an operator
whose team has no approved application), approver, admin (team approved). The REST API is gated
by the whitelist here (the admin setting is on), so both doors follow one table; what changes
when the setting is off is checked on its own at the end.

Decision recorded here: the audit log is read by everyone signed in (viewers "read everything the
console shows"); it holds no secrets (tokens and password hashes are never written to it).

A refused write must change nothing: every 403 below is followed by a read of the cluster (or of
the application / user) showing it as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import yaml

from app.accounts import service as accounts
from tests.roles.conftest import CLUSTER, ROLE_KEYS, Console
from tests.web.test_networkpolicies_page import post_panel

pytestmark = pytest.mark.asyncio(loop_scope="module")

WRITERS = {"operator", "admin"}  # operator role and an approved team
DECIDERS = {"approver", "admin"}
ADMINS = {"admin"}
APPROVED_TEAMS = {"operator", "admin"}  # their team's application is already Approved: applying again is 409


def _name(who: str, action: str) -> str:
    return f"{who}-{action.replace('.', '-')}-{uuid.uuid4().hex[:5]}"


def _pol(c: Console, name: str = "") -> str:
    base = f"/clusters/{CLUSTER}/namespaces/{c.namespace}/networkpolicies"
    return f"{base}/{name}" if name else base


def _api_pol(c: Console, name: str = "") -> str:
    base = f"/api/v1/clusters/{CLUSTER}/namespaces/{c.namespace}/networkpolicies"
    return f"{base}/{name}" if name else base


# --------------------------------------------------------------------------------- the actions
# Each takes the console and the role key and returns the HTTP status; it asserts the effect
# itself (done when allowed, nothing changed when refused).

Action = Callable[[Console, str], Awaitable[int]]


async def page_list(c: Console, who: str) -> int:
    r = await c.pages[who].get(f"/clusters/{CLUSTER}/networkpolicies?namespace={c.namespace}")
    return r.status_code


async def page_read(c: Console, who: str) -> int:
    name = _name(who, "read")
    await c.make_policy(name)
    r = await c.pages[who].get(_pol(c, name))
    assert r.status_code != 200 or name in r.text
    return r.status_code


async def page_create(c: Console, who: str) -> int:
    name = _name(who, "create")
    form = await c.pages[who].get(f"/clusters/{CLUSTER}/networkpolicies/new?namespace={c.namespace}")
    r = await _post_panel(c, who, form.text, name)
    created = await c.policy(name)
    assert (created is not None) == (r.status_code == 303), r.text[:500]
    return r.status_code


async def _post_panel(c: Console, who: str, html: str, name: str) -> Any:
    # post_panel posts to the editor with the page's own CSRF token, as the browser would.
    client = c.pages[who]
    return await post_panel(client, html, "apply", name=name)


async def page_update(c: Console, who: str) -> int:
    name = _name(who, "update")
    rv = await c.make_policy(name)
    text = yaml.safe_dump({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                           "metadata": {"name": name, "namespace": c.namespace, "resourceVersion": rv},
                           "spec": {"podSelector": {"matchLabels": {"app": "changed"}}}})
    r = await c.post_page(who, _pol(c, name) + "/yaml", {"yaml": text, "resource_version": rv, "op": "apply"})
    stored = await c.policy(name)
    assert stored is not None
    changed = stored["spec"]["podSelector"] == {"matchLabels": {"app": "changed"}}
    assert changed == (r.status_code == 303), r.text[:500]
    return r.status_code


async def page_delete(c: Console, who: str) -> int:
    name = _name(who, "delete")
    rv = await c.make_policy(name)
    r = await c.post_page(who, _pol(c, name) + "/delete", {"resource_version": rv})
    assert ((await c.policy(name)) is None) == (r.status_code == 303), r.text[:500]
    return r.status_code


async def page_apply(c: Console, who: str) -> int:
    r = await c.post_page(who, "/whitelist", {"cluster": CLUSTER, "reason": "role matrix"})
    await _after_apply(c, who, r.status_code)
    return r.status_code


async def _after_apply(c: Console, who: str, status: int) -> None:
    from tests.roles.conftest import PEOPLE

    team = PEOPLE[who][2] if who in PEOPLE else "platform"
    if status in (201, 303):
        await c.close_applications_of(team)  # so the other door can apply again


async def _decide_page(c: Console, who: str, app_id: int, action: str) -> int:
    r = await c.post_page(who, f"/whitelist/{app_id}/{action}", {"comment": f"{who} says so"})
    return r.status_code


async def _decide_api(c: Console, who: str, app_id: int, action: str) -> int:
    assert c.api is not None
    r = await c.api.post(f"/api/v1/whitelist/applications/{app_id}/{action}", json={"comment": f"{who} says so"},
                         headers=c.bearer(who))
    return r.status_code


def _decision(decide: Callable[[Console, str, int, str], Awaitable[int]], action: str, *, own: bool = False) -> Action:
    async def run(c: Console, who: str) -> int:
        requester = c.user(who) if own else "someone"
        app_id = await (c.approved_application() if action == "revoke" else c.pending_application(requester))
        before = await c.application_status(app_id)
        status = await decide(c, who, app_id, action)
        after = await c.application_status(app_id)
        expected = {"approve": "Approved", "reject": "Rejected", "revoke": "Revoked"}[action]
        assert after == (expected if status in (200, 303) else before)
        return status

    return run


async def page_admin_users(c: Console, who: str) -> int:
    return (await c.pages[who].get("/admin/users")).status_code


async def page_admin_user(c: Console, who: str) -> int:
    return (await c.pages[who].get("/admin/users/vic")).status_code


async def page_admin_create_user(c: Console, who: str) -> int:
    username = _name(who, "user")
    r = await c.post_page(who, "/admin/users", [("username", username), ("team", "t"), ("roles", "viewer"),
                                                ("password", "a-good-password")])
    async with c.app.state.sessions() as db:
        exists = await accounts.find_user(db, username) is not None
    assert exists == (r.status_code == 201)
    return r.status_code


async def page_admin_disable_user(c: Console, who: str) -> int:
    r = await c.post_page(who, "/admin/users/rita/disable", {})
    async with c.app.state.sessions() as db:
        rita = await accounts.get_user(db, "rita")
        disabled = rita.disabled
        if disabled:
            await accounts.enable_user(db, "rita")
            await db.commit()
    assert disabled == (r.status_code == 303)
    return r.status_code


async def page_settings(c: Console, who: str) -> int:
    return (await c.pages[who].get("/admin/settings")).status_code


async def page_settings_save(c: Console, who: str) -> int:
    return (await c.post_page(who, "/admin/settings", {"api_gated": "on"})).status_code


async def page_audit(c: Console, who: str) -> int:
    return (await c.pages[who].get("/audit")).status_code


async def page_account(c: Console, who: str) -> int:
    r = await c.pages[who].get("/account")
    assert r.status_code == 200 and c.user(who) in r.text
    return r.status_code


# ------------------------------------------------------------------------------------ the API


async def api_list(c: Console, who: str) -> int:
    assert c.api is not None
    return (await c.api.get(_api_pol(c), headers=c.bearer(who))).status_code


async def api_read(c: Console, who: str) -> int:
    assert c.api is not None
    name = _name(who, "api-read")
    await c.make_policy(name)
    return (await c.api.get(_api_pol(c, name), headers=c.bearer(who))).status_code


async def api_create(c: Console, who: str) -> int:
    assert c.api is not None
    name = _name(who, "api-create")
    body = {"metadata": {"name": name}, "spec": {"podSelector": {}}}
    r = await c.api.post(_api_pol(c), json=body, headers=c.bearer(who))
    assert ((await c.policy(name)) is not None) == (r.status_code == 201), r.text
    return r.status_code


async def api_update(c: Console, who: str) -> int:
    assert c.api is not None
    name = _name(who, "api-update")
    rv = await c.make_policy(name)
    body = {"metadata": {"name": name, "resourceVersion": rv}, "spec": {"podSelector": {"matchLabels": {"app": "x"}}}}
    r = await c.api.put(_api_pol(c, name), json=body, headers=c.bearer(who))
    stored = await c.policy(name)
    assert stored is not None
    assert (stored["spec"]["podSelector"] == {"matchLabels": {"app": "x"}}) == (r.status_code == 200), r.text
    return r.status_code


async def api_delete(c: Console, who: str) -> int:
    assert c.api is not None
    name = _name(who, "api-delete")
    await c.make_policy(name)
    r = await c.api.delete(_api_pol(c, name), headers=c.bearer(who))
    assert ((await c.policy(name)) is None) == (r.status_code == 204), r.text
    return r.status_code


async def api_apply(c: Console, who: str) -> int:
    assert c.api is not None
    r = await c.api.post("/api/v1/whitelist/applications", json={"cluster": CLUSTER, "reason": "role matrix"},
                         headers=c.bearer(who))
    await _after_apply(c, who, r.status_code)
    return r.status_code


async def api_audit(c: Console, who: str) -> int:
    assert c.api is not None
    return (await c.api.get("/api/v1/audit", headers=c.bearer(who))).status_code


# ------------------------------------------------------------------------------------ the table


def rows(action: str, run: Action, allowed: set[str] | None, ok: int, refused: int = 403,
         overrides: dict[str, int] | None = None) -> list[Any]:
    """One row per role: ``allowed`` None means everyone."""
    out = []
    for who in ROLE_KEYS:
        expected = ok if allowed is None or who in allowed else refused
        expected = (overrides or {}).get(who, expected)
        out.append(pytest.param(who, run, expected, id=f"{action}-{who}"))
    return out


ALREADY = {who: 409 for who in APPROVED_TEAMS}  # their team is approved already: not a role refusal

MATRIX = [
    # pages
    *rows("page.list", page_list, None, 200),
    *rows("page.read", page_read, None, 200),
    *rows("page.create", page_create, WRITERS, 303),
    *rows("page.update-yaml", page_update, WRITERS, 303),
    *rows("page.delete", page_delete, WRITERS, 303),
    *rows("page.apply", page_apply, None, 303, overrides=ALREADY),
    *rows("page.approve", _decision(_decide_page, "approve"), DECIDERS, 303),
    *rows("page.reject", _decision(_decide_page, "reject"), DECIDERS, 303),
    *rows("page.revoke", _decision(_decide_page, "revoke"), DECIDERS, 303),
    *rows("page.approve-own", _decision(_decide_page, "approve", own=True), set(), 303),
    *rows("page.admin-users", page_admin_users, ADMINS, 200),
    *rows("page.admin-user", page_admin_user, ADMINS, 200),
    *rows("page.admin-create-user", page_admin_create_user, ADMINS, 201),
    *rows("page.admin-disable-user", page_admin_disable_user, ADMINS, 303),
    *rows("page.settings", page_settings, ADMINS, 200),
    *rows("page.settings-save", page_settings_save, ADMINS, 303),
    *rows("page.audit", page_audit, None, 200),
    *rows("page.account", page_account, None, 200),
    # the REST API (gated by the whitelist: the admin setting is on)
    *rows("api.list", api_list, None, 200),
    *rows("api.read", api_read, None, 200),
    *rows("api.create", api_create, WRITERS, 201),
    *rows("api.update", api_update, WRITERS, 200),
    *rows("api.delete", api_delete, WRITERS, 204),
    *rows("api.apply", api_apply, None, 201, overrides=ALREADY),
    *rows("api.approve", _decision(_decide_api, "approve"), DECIDERS, 200),
    *rows("api.reject", _decision(_decide_api, "reject"), DECIDERS, 200),
    *rows("api.revoke", _decision(_decide_api, "revoke"), DECIDERS, 200),
    *rows("api.approve-own", _decision(_decide_api, "approve", own=True), set(), 200),
    *rows("api.audit", api_audit, None, 200),
]


@pytest.mark.parametrize(("who", "run", "expected"), MATRIX)
async def test_role_matrix(console: Console, who: str, run: Action, expected: int) -> None:
    assert await run(console, who) == expected


async def test_with_the_api_ungated_an_unapproved_operator_writes_through_the_api_only(console: Console) -> None:
    c = console
    assert (await c.post_page("admin", "/admin/settings", {})).status_code == 303  # the box unchecked
    try:
        assert await api_create(c, "stranger") == 201
        assert await api_create(c, "viewer") == 403  # the role still counts
        assert await page_create(c, "stranger") == 403  # the pages stay gated
    finally:
        assert (await c.post_page("admin", "/admin/settings", {"api_gated": "on"})).status_code == 303


async def test_refusals_say_why(console: Console) -> None:
    c = console
    assert c.api is not None
    name = _name("stranger", "why")
    r = await c.api.post(_api_pol(c), json={"metadata": {"name": name}, "spec": {"podSelector": {}}},
                         headers=c.bearer("stranger"))
    assert r.status_code == 403 and "no approved whitelist application" in r.json()["detail"]
    r = await c.api.post(_api_pol(c), json={"metadata": {"name": name}, "spec": {"podSelector": {}}},
                         headers=c.bearer("approver"))
    assert r.status_code == 403 and "operator role" in r.json()["detail"]
    page = await c.pages["viewer"].get("/admin/users")
    assert page.status_code == 403 and "admin role" in page.text
