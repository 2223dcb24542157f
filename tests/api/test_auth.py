"""Who may call: tokens (missing, unknown, read scope, revoked, expired), roles, the whitelist gate
when the admin gates the API, rate limiting, and the console's session cookie."""

from __future__ import annotations

from datetime import timedelta

from app.accounts import tokens
from app.whitelist import service as whitelist
from tests.api.conftest import Api, ApiFactory
from tests.api.test_policies import PROBLEM, base, form


async def test_missing_and_unknown_tokens_are_401_problems(api: Api) -> None:
    bare = await api.client.get("/api/v1/clusters")
    assert bare.status_code == 401 and bare.headers["content-type"] == PROBLEM
    assert bare.headers["www-authenticate"].startswith("Bearer")
    for value in ("Bearer npc_nope", "Bearer not-a-token", "Bearer "):
        r = await api.client.get("/api/v1/clusters", headers={"Authorization": value})
        assert r.status_code == 401, value


async def test_a_read_token_reads_but_may_not_write(api: Api, ns: str) -> None:
    assert (await api.get(base(api, ns), who="olga-read")).status_code == 200
    r = await api.send("POST", base(api, ns), json=form("web"), who="olga-read")
    assert r.status_code == 403 and "read scope" in r.json()["detail"]
    validate = await api.send("POST", "/api/v1/validate", json=form("web"), who="olga-read")
    assert validate.status_code == 200


async def test_a_viewer_may_not_write_policies(api: Api, ns: str) -> None:
    r = await api.send("POST", base(api, ns), json=form("web"), who="vic")
    assert r.status_code == 403 and "operator" in r.json()["detail"]


async def test_revoked_and_expired_tokens_are_401_and_use_is_recorded(api: Api) -> None:
    assert (await api.get("/api/v1/clusters", who="olga")).status_code == 200
    async with api.app.state.sessions() as db:
        listed = {t.name: t for t, _ in await tokens.list_tokens(db, "olga")}
        assert listed["test olga"].last_used_at is not None
        assert listed["test olga-read"].last_used_at is None
        await tokens.revoke_token(db, listed["test olga"].id, actor="admin")
        _, short = await tokens.create_token(db, "olga", "short", expires_in=timedelta(seconds=-1))
        await db.commit()
    revoked = await api.get("/api/v1/clusters", who="olga")
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    expired = await api.client.get("/api/v1/clusters", headers={"Authorization": f"Bearer {short}"})
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]


async def test_gated_api_writes_need_an_approved_application(api: Api, ns: str) -> None:
    cluster = api.app.state.clusters.names()[0]
    async with api.app.state.sessions() as db:
        await whitelist.set_api_gated(db, True, actor="admin")
        await db.commit()
    refused = await api.send("POST", base(api, ns), json=form("web"), who="olga")
    assert refused.status_code == 403 and "whitelist" in refused.json()["detail"]
    applied = await api.send(
        "POST",
        "/api/v1/whitelist/applications",
        who="olga",
        json={"cluster": cluster, "reason": "deploy our policies"},
    )
    assert applied.status_code == 201, applied.text
    app_id = applied.json()["id"]
    approved = await api.send(
        "POST", f"/api/v1/whitelist/applications/{app_id}/approve", who="anna", json={"comment": "ok"}
    )
    assert approved.status_code == 200 and approved.json()["status"] == "Approved"
    assert (await api.send("POST", base(api, ns), json=form("web"), who="olga")).status_code == 201


async def test_rate_limit_answers_429_with_retry_after(make_api: ApiFactory) -> None:
    async with make_api(api_rate_burst=3, api_rate_per_second=0.01) as api:
        codes = [(await api.get("/api/v1/clusters", who="vic")).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = await api.get("/api/v1/clusters", who="vic")
        assert limited.headers["content-type"] == PROBLEM and int(limited.headers["retry-after"]) >= 1
        assert (await api.get("/api/v1/clusters", who="anna")).status_code == 200  # another bucket


async def test_the_console_session_cookie_authenticates_reads(api: Api) -> None:
    login = await api.client.post("/login", data={"username": "vic", "password": "vic-password", "next": "/"})
    assert login.status_code == 303
    r = await api.client.get("/api/v1/clusters")
    assert r.status_code == 200 and r.json()["items"]
