"""Migration 0006 on SQLite and PostgreSQL: an application approved before namespaces existed keeps
working as "all but the system namespaces"; the throttle's new column and table come and go."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Integer, String, Text, column, inspect, select, table

from app.accounts.models import UTCDateTime, utcnow
from app.db import make_engine, make_sessionmaker
from app.migrate import downgrade, upgrade
from app.whitelist import service as wl
from app.whitelist.models import WhitelistApplication

APPS_0005 = table(
    "whitelist_applications", column("id", Integer), column("cluster", String), column("team", String),
    column("requester", String), column("reason", Text), column("submitted_at", UTCDateTime()),
    column("status", String), column("decided_by", String), column("comment", Text), column("version", Integer),
)
SHOP = wl.Actor("olive", "shop", frozenset({"operator"}))


def test_0006_gives_approved_applications_all_but_the_system_namespaces(database_url: str) -> None:
    upgrade(database_url, "0005")

    async def seed() -> int:
        engine = make_engine(database_url)
        async with engine.begin() as conn:
            result = await conn.execute(APPS_0005.insert().returning(APPS_0005.c.id).values(
                cluster="prod", team="shop", requester="olive", reason="before 0006", submitted_at=utcnow(),
                status="Approved", decided_by="rita", comment="", version=2))
            app_id = int(result.scalar_one())
        await engine.dispose()
        return app_id

    app_id = asyncio.run(seed())
    upgrade(database_url, "0006")

    async def after() -> None:
        engine = make_engine(database_url)
        async with make_sessionmaker(engine)() as db:
            app = await db.get(WhitelistApplication, app_id)
            assert app is not None and app.namespaces == "*"
            assert wl.application_dict(app)["namespaces"] == ["*"]
            await wl.require_console_write(db, "prod", SHOP, "shop-front")  # still allowed
            for system in ("kube-system", "default"):
                with pytest.raises(wl.OutsideNamespaces, match="it is a system namespace"):
                    await wl.require_console_write(db, "prod", SHOP, system)
            with pytest.raises(wl.NotWhitelisted):
                await wl.require_console_write(db, "qa", SHOP, "shop-front")
            columns = await (await db.connection()).run_sync(
                lambda c: {t: {col["name"] for col in inspect(c).get_columns(t)}
                           for t in ("login_failures", "login_addresses")})
            assert "address" in columns["login_failures"]
            assert {"username", "address", "at"} <= columns["login_addresses"]
            assert (await db.execute(select(WhitelistApplication.status))).scalars().all() == ["Approved"]
        await engine.dispose()

    asyncio.run(after())
    downgrade(database_url, "0005")

    async def before() -> set[str]:
        engine = make_engine(database_url)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            cols = await conn.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("whitelist_applications")})
        await engine.dispose()
        assert "namespaces" not in cols
        return names

    assert "login_addresses" not in asyncio.run(before())
    upgrade(database_url)
