"""The database engine (app/db.py): SQLite in write-ahead-log mode, synced at checkpoints."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from app.db import make_engine


async def test_sqlite_keeps_a_write_ahead_log_and_syncs_it_at_checkpoints(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == 1  # NORMAL
    finally:
        await engine.dispose()
