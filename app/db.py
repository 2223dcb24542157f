"""The database engine, sessions and the declarative Base. No queries live here."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

POOL_SIZE = 20  # connections kept per process: 4 workers stay within PostgreSQL's default 100


class Base(DeclarativeBase):
    pass


def make_engine(url: str) -> AsyncEngine:
    sqlite = url.startswith("sqlite")
    in_memory = False
    if sqlite:
        path = url.split(":///", 1)[-1]
        in_memory = url.count("/") < 3 or path in ("", ":memory:")
        if not in_memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: a database error (and so a logged traceback) never shows the values bound,
    # which can be a CSRF token or a password hash.
    # SQLite has one writer at a time: a writer waits up to 30 s for the lock (Python's default is
    # 5 s, which 20 concurrent editors exceeded in `netpol-console bench`: "database is locked").
    connect_args = {"timeout": 30} if sqlite else {}
    # pre_ping: a server restarted under a pooled connection; a SQLite file does not go away, and
    # the ping would be one more thread hop per checkout (four per API write).
    # pool_size: the connections kept open. SQLAlchemy's default of 5 (with 10 more opened when
    # needed) closes each extra one when it is handed back, so 20 concurrent writers kept opening
    # connections (asyncpg: a TCP handshake, a login and every statement prepared again). An
    # in-memory SQLite database is one connection (SQLAlchemy's StaticPool): no pool to size.
    pool: dict[str, Any] = {} if in_memory else {"pool_size": POOL_SIZE, "max_overflow": 10}
    engine = create_async_engine(
        url, pool_pre_ping=not sqlite, hide_parameters=True, connect_args=connect_args, **pool
    )
    if sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_wal)
    return engine


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    """Write-ahead logging, synced at checkpoints (``synchronous=NORMAL``). In SQLite's default
    (a rollback journal, every commit synced) readers block the writer and the writer every
    reader, and each commit waits for several fsyncs: 20 concurrent editors, two commits each (an
    audit entry's intent and outcome), queued behind one another for seconds. In WAL mode readers
    never wait, a commit appends to the log without waiting for the disk, and a committed write
    is lost only with the machine (not the process), which a console's log and sessions can bear.
    An in-memory database has no log: SQLite keeps its own mode there."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@contextlib.asynccontextmanager
async def autocommit(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session in which each statement commits as it runs: for work that is one statement (an
    audit entry's intent, its outcome) or only reads (the whitelist gate). It needs no BEGIN and
    COMMIT of its own, round trips that on SQLite also hold the write lock from the statement to
    the COMMIT, across the event loop's turn between them: 20 concurrent API writers, two audit
    writes each, queued on that lock (each waiter polling in SQLite's back-off sleeps) for most of
    a second."""
    async with sessions() as session:
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session


@contextlib.asynccontextmanager
async def reading(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for reads, and at most a write its caller commits at once (the sign-in check on
    every request, the whitelist gate): no BEGIN and ROLLBACK round trips. On SQLite a plain
    session already is that (the driver begins a transaction only before a write), and setting
    AUTOCOMMIT on the connection, then resetting it when the pool takes it back, would be two more
    thread hops (aiosqlite) per use: a third of a page's database time."""
    bind = sessions.kw.get("bind")
    if bind is not None and bind.dialect.name == "sqlite":
        async with sessions() as session:
            yield session
    else:
        async with autocommit(sessions) as session:
            yield session


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
