"""Alembic environment: the URL comes from Settings (or the caller's config), never from alembic.ini."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.config import Settings
from app.db import Base, make_engine

config = context.config
target_metadata = Base.metadata
# pg_advisory_xact_lock's key for migrations: any constant no other lock of the console uses.
MIGRATION_LOCK = 0x6E6574706F6C


def _url() -> str:
    return config.attributes.get("database_url") or Settings().database_url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Consoles starting together (the replicas of a Deployment) migrate one after the
            # other: the next reads the version the first committed. Held until this commits.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


async def _run_async() -> None:
    engine = make_engine(_url())
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
