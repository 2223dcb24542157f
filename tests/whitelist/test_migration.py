"""Migration 0003 (whitelist and audit tables) up and down, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect

from app.db import make_engine
from app.migrate import downgrade, upgrade

OURS = {"whitelist_applications", "whitelist_decisions", "audit_entries"}


def _schema(url: str) -> tuple[set[str], dict[str, set[str]]]:
    async def read() -> tuple[set[str], dict[str, set[str]]]:
        engine = make_engine(url)
        async with engine.connect() as conn:
            def sync(c):  # type: ignore[no-untyped-def]
                insp = inspect(c)
                names = set(insp.get_table_names())
                cols = {t: {col["name"] for col in insp.get_columns(t)} for t in names & OURS}
                return names, cols
            result = await conn.run_sync(sync)
        await engine.dispose()
        return result

    return asyncio.run(read())


def test_0003_up_down_up(database_url: str) -> None:
    upgrade(database_url, "0003")
    tables, columns = _schema(database_url)
    assert OURS <= tables and "users" in tables
    assert {"id", "cluster", "team", "requester", "reason", "submitted_at", "status", "decided_by",
            "decided_at", "comment", "version"} == columns["whitelist_applications"]
    assert {"id", "application_id", "action", "actor", "at", "comment"} == columns["whitelist_decisions"]
    assert {"id", "at", "actor", "via", "cluster", "namespace", "kind", "name", "action", "outcome",
            "message", "before_yaml", "after_yaml"} == columns["audit_entries"]
    downgrade(database_url, "0002")
    tables, _ = _schema(database_url)
    assert not OURS & tables and "users" in tables
    upgrade(database_url, "0003")
    assert OURS <= _schema(database_url)[0]
