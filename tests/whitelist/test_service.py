"""The Quota Center's rules over a real database: the state machine, who may decide, every
decision kept, and the gating of console writes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit import service as audit
from app.errors import AlreadyExists, Conflict, Forbidden, Invalid, NotFound
from app.whitelist import service as wl
from app.whitelist.models import WhitelistApplication

Sessions = async_sessionmaker[AsyncSession]

ALICE = wl.Actor("alice", "app-team", frozenset({"operator"}))
PAT = wl.Actor("pat", "platform", frozenset({"approver"}))
QUINN = wl.Actor("quinn", "platform", frozenset({"approver"}))
ADMIN = wl.Actor("admin", "platform", frozenset({"admin"}))
VIEWER = wl.Actor("vic", "app-team", frozenset({"viewer", "operator"}))


async def _submit(sessions: Sessions, cluster: str = "sandbox", team: str = "app-team",
                  requester: str = "alice") -> int:
    async with sessions() as db:
        app = await wl.submit(db, cluster, team, requester, "we run the shop here")
        await db.commit()
        return app.id


async def test_submit_creates_a_pending_application_and_audits_it(sessions: Sessions) -> None:
    app_id = await _submit(sessions)
    async with sessions() as db:
        app = await wl.get_application(db, app_id)
        assert (app.cluster, app.team, app.requester, app.status, app.version) == (
            "sandbox", "app-team", "alice", "Pending", 1)
        assert app.decided_by is None and app.decided_at is None
        assert app.submitted_at.tzinfo is not None
        page = await audit.query(db, audit.AuditFilter(action="application.submit"))
        assert [(e.actor, e.name, e.outcome) for e in page.entries] == [("alice", str(app_id), "success")]
        assert "status: Pending" in (page.entries[0].after_yaml or "")


async def test_submit_validates_fields_and_refuses_a_second_open_application(sessions: Sessions) -> None:
    async with sessions() as db:
        with pytest.raises(Invalid) as caught:
            await wl.submit(db, "", "app-team", "alice", "  ")
        assert {c.field for c in caught.value.causes} == {"cluster", "reason"}
        with pytest.raises(Invalid):
            await wl.submit(db, "nowhere", "app-team", "alice", "why", clusters=["sandbox"])
    await _submit(sessions)
    async with sessions() as db:
        with pytest.raises(AlreadyExists, match="already has an application for cluster sandbox"):
            await wl.submit(db, "sandbox", "app-team", "bob", "again")
        # another team, or another cluster, may apply
        await wl.submit(db, "sandbox", "other-team", "olga", "ours")
        await wl.submit(db, "prod", "app-team", "alice", "prod too")
        await db.commit()


async def test_approve_then_revoke_and_every_decision_is_kept(sessions: Sessions) -> None:
    app_id = await _submit(sessions)
    async with sessions() as db:
        app = await wl.approve(db, app_id, PAT, "ok for sandbox")
        await db.commit()
        assert (app.status, app.decided_by, app.comment, app.version) == (
            "Approved", "pat", "ok for sandbox", 2)
        assert app.decided_at is not None
    async with sessions() as db:
        app = await wl.revoke(db, app_id, QUINN, "project ended")
        await db.commit()
        assert (app.status, app.decided_by, app.version) == ("Revoked", "quinn", 3)
    async with sessions() as db:
        history = await wl.decisions(db, app_id)
        assert [(d.action, d.actor, d.comment) for d in history] == [
            ("approve", "pat", "ok for sandbox"), ("revoke", "quinn", "project ended")]
        actions = [e.action for e in (await audit.query(db)).entries]
        assert actions == ["application.revoke", "application.approve", "application.submit"]
        # a revoked application allows a new one
        await wl.submit(db, "sandbox", "app-team", "alice", "again please")


async def test_reject_only_from_pending_and_revoke_only_from_approved(sessions: Sessions) -> None:
    app_id = await _submit(sessions)
    async with sessions() as db:
        with pytest.raises(Conflict, match="only an Approved application can be revoked"):
            await wl.revoke(db, app_id, PAT)
        app = await wl.reject(db, app_id, PAT, "not needed")
        await db.commit()
        assert app.status == "Rejected"
    async with sessions() as db:
        for decide in (wl.approve, wl.reject, wl.revoke):
            with pytest.raises(Conflict, match=r"already Rejected by pat"):
                await decide(db, app_id, QUINN)
        assert [d.action for d in await wl.decisions(db, app_id)] == ["reject"]


async def test_only_approvers_decide_and_nobody_decides_their_own(sessions: Sessions) -> None:
    app_id = await _submit(sessions)
    own_id = await _submit(sessions, team="platform", requester="pat")
    async with sessions() as db:
        for who in (ALICE, VIEWER):
            with pytest.raises(Forbidden, match="Only approvers decide"):
                await wl.approve(db, app_id, who)
        with pytest.raises(Forbidden, match="cannot decide your own application"):
            await wl.approve(db, own_id, PAT)
        with pytest.raises(Forbidden, match="cannot decide your own application"):
            await wl.reject(db, own_id, PAT)
        with pytest.raises(NotFound):
            await wl.approve(db, 999_999, PAT)
        # separation of duties: not an application of one's own team, admin or not
        with pytest.raises(Forbidden, match="is of your own team platform"):
            await wl.approve(db, own_id, ADMIN)
        # admin holds every role
        assert (await wl.approve(db, own_id, wl.Actor("ada", "ops", frozenset({"admin"})))).status == "Approved"
        await db.commit()
    async with sessions() as db:
        assert (await wl.get_application(db, app_id)).status == "Pending"
        assert await wl.decisions(db, app_id) == []


async def test_a_stale_version_is_a_conflict(sessions: Sessions) -> None:
    app_id = await _submit(sessions)
    async with sessions() as db:
        await wl.approve(db, app_id, PAT, version=1)
        await db.commit()
    async with sessions() as db:
        with pytest.raises(Conflict, match="changed meanwhile by pat"):
            await wl.revoke(db, app_id, QUINN, version=1)
        assert (await wl.revoke(db, app_id, QUINN, version=2)).status == "Revoked"


async def test_gating_follows_the_approved_application(sessions: Sessions) -> None:
    app_id = await _submit(sessions)
    async with sessions() as db:
        assert not await wl.is_approved(db, "sandbox", "app-team")
        with pytest.raises(wl.NotWhitelisted) as caught:
            await wl.require_console_write(db, "sandbox", ALICE)
        assert str(caught.value) == (
            "Team app-team has no approved whitelist application for cluster sandbox: "
            "apply in the Quota Center (/whitelist?cluster=sandbox)")
        assert isinstance(caught.value, Forbidden) and caught.value.status_code == 403
        await wl.approve(db, app_id, PAT)
        await db.commit()
    async with sessions() as db:
        assert await wl.is_approved(db, "sandbox", "app-team")
        await wl.require_console_write(db, "sandbox", ALICE)
        # approval is per cluster and per team
        assert not await wl.is_approved(db, "prod", "app-team")
        assert not await wl.is_approved(db, "sandbox", "other-team")
        await wl.revoke(db, app_id, QUINN)
        await db.commit()
    async with sessions() as db:
        assert not await wl.is_approved(db, "sandbox", "app-team")


async def test_api_gating_is_an_admin_setting_off_by_default(sessions: Sessions) -> None:
    async with sessions() as db:
        assert await wl.api_gated(db) is False
        await wl.require_write(db, "sandbox", ALICE, "api")  # not gated: allowed
        await wl.require_write(db, "sandbox", ALICE, "cli")
        with pytest.raises(wl.NotWhitelisted):
            await wl.require_write(db, "sandbox", ALICE, "console")
        await wl.set_api_gated(db, True, actor="admin")
        await db.commit()
    async with sessions() as db:
        assert await wl.api_gated(db) is True
        with pytest.raises(wl.NotWhitelisted):
            await wl.require_write(db, "sandbox", ALICE, "api")
        await wl.set_api_gated(db, False)
        await db.commit()
    async with sessions() as db:
        assert await wl.api_gated(db) is False
        entries = (await audit.query(db, audit.AuditFilter(action="setting.update"))).entries
        assert [(e.actor, e.before_yaml, e.after_yaml) for e in entries] == [
            ("admin", "value: false\n", "value: true\n")]


async def test_listing_filters_by_status_and_cluster(sessions: Sessions) -> None:
    a = await _submit(sessions)
    b = await _submit(sessions, cluster="prod")
    c = await _submit(sessions, team="other")
    async with sessions() as db:
        await wl.approve(db, b, PAT)
        await db.commit()
        ids = [x.id for x in await wl.list_applications(db)]
        assert ids == [c, b, a]
        assert [x.id for x in await wl.list_applications(db, status="Approved")] == [b]
        assert [x.id for x in await wl.list_applications(db, cluster="sandbox")] == [c, a]
        assert [x.id for x in await wl.list_applications(db, status="Pending", cluster="prod")] == []
        with pytest.raises(Invalid):
            await wl.list_applications(db, status="Maybe")


async def test_nothing_is_ever_deleted(sessions: Sessions) -> None:
    app_id = await _submit(sessions)
    async with sessions() as db:
        await wl.approve(db, app_id, PAT)
        await wl.revoke(db, app_id, QUINN)
        await db.commit()
        count = (await db.execute(select(func.count()).select_from(WhitelistApplication))).scalar_one()
        assert count == 1
