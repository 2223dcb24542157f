"""Migrations: an empty database reaches head, and head survives a downgrade/upgrade round trip,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect

from app.db import make_engine
from app.migrate import downgrade, upgrade


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = make_engine(url)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        await engine.dispose()
        return names

    return asyncio.run(read())


def test_empty_database_migrates_to_head_and_round_trips(database_url: str) -> None:
    upgrade(database_url)
    at_head = _tables(database_url)
    assert {"alembic_version", "console_settings"} <= at_head
    downgrade(database_url, "base")
    assert _tables(database_url) <= {"alembic_version"}
    upgrade(database_url)
    assert _tables(database_url) == at_head
