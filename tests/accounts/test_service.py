"""The accounts service on real databases: users, roles, passwords, the bootstrap admin, and the
mapping of OpenID Connect groups."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts import oidc, service
from app.config import Settings
from app.db import make_engine, make_sessionmaker
from app.errors import AlreadyExists, Forbidden, Invalid, NotFound
from app.migrate import upgrade_async


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def test_migration_creates_the_accounts_tables(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as db:
        conn = await db.connection()
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"users", "login_sessions", "login_failures"} <= tables


async def test_users_are_created_checked_and_listed(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as db:
        bob = await service.create_user(db, "bob", team="app-team", roles=["Operator"],
                                        password="bob-password")
        await service.create_user(db, "amy", team="app-team", roles=["viewer"])
        await db.commit()
        assert bob.roles == frozenset({"operator"}) and bob.created_at.tzinfo is not None
        with pytest.raises(AlreadyExists):
            await service.create_user(db, "bob", team="x", roles=["viewer"], password="another-long-pw")
        with pytest.raises(Invalid, match="unknown role 'superuser'"):
            await service.create_user(db, "cy", team="x", roles=["superuser"])
        with pytest.raises(Invalid) as bad:
            await service.create_user(db, "-x y", team="bad team", roles=["viewer"])
        assert [c.field for c in bad.value.causes] == ["username", "team"]
        with pytest.raises(Invalid, match="at least 12"):
            await service.create_user(db, "dee", team="x", roles=["viewer"], password="short")
        assert [u.username for u in await service.list_users(db)] == ["amy", "bob"]
        assert await service.check_credentials(db, "bob", "bob-password") is not None
        assert await service.check_credentials(db, "bob", "wrong-password") is None
        assert await service.check_credentials(db, "amy", "") is None, "a user without a password got in"
        await service.set_password(db, "bob", "second-password")
        assert await service.check_credentials(db, "bob", "second-password") is not None
        await service.disable_user(db, "bob")
        await db.commit()
        assert await service.check_credentials(db, "bob", "second-password") is None
        with pytest.raises(NotFound):
            await service.disable_user(db, "nobody")
    async with sessions() as db:
        assert (await service.get_user(db, "bob")).disabled


def test_require_role_admin_holds_every_role() -> None:
    from app.accounts.models import User

    viewer = User(username="v", team="t", roles=frozenset({"viewer"}), disabled=False)
    admin = User(username="a", team="t", roles=frozenset({"admin"}), disabled=False)
    service.require_role(viewer, "viewer")
    with pytest.raises(Forbidden, match="needs the operator role"):
        service.require_role(viewer, "operator")
    for role in ("viewer", "operator", "approver", "admin"):
        service.require_role(admin, role)
    with pytest.raises(Forbidden):
        service.require_role(None, "viewer")
    admin.disabled = True
    with pytest.raises(Forbidden):
        service.require_role(admin, "viewer")


async def test_bootstrap_admin_is_created_once_even_when_two_consoles_start_together(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    settings = Settings(admin_password="first-admin-pw")
    results = await asyncio.gather(*(service.ensure_bootstrap_admin(sessions, settings) for _ in range(3)))
    assert results.count("first-admin-pw") >= 1
    async with sessions() as db:
        users = await service.list_users(db)
        assert [(u.username, u.team, u.roles) for u in users] == [
            ("admin", "platform", frozenset({"admin", "approver"}))]
        assert await service.check_credentials(db, "admin", "first-admin-pw") is not None
    assert await service.ensure_bootstrap_admin(sessions, settings) is None


def test_groups_map_to_roles_and_the_first_mapped_team() -> None:
    settings = Settings(oidc_role_map={"ops": ["operator"], "leads": ["approver", "viewer"]},
                        oidc_team_map={"pay": "payments", "ops": "platform"})
    assert oidc.map_groups(settings, ["x", "pay", "ops", "leads"]) == (
        frozenset({"operator", "approver", "viewer"}), "payments")
    assert oidc.map_groups(settings, ["ops"]) == (frozenset({"operator"}), "platform")
    with pytest.raises(Forbidden, match="no team"):
        oidc.map_groups(settings, ["pay-not"])
    fallback = Settings(oidc_default_team="guests", oidc_default_roles=["viewer"])
    assert oidc.map_groups(fallback, []) == (frozenset({"viewer"}), "guests")
