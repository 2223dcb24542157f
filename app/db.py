"""The database engine, sessions and the declarative Base. No queries live here."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: a database error (and so a logged traceback) never shows the values bound,
    # which can be a CSRF token or a password hash.
    # SQLite has one writer at a time: a writer waits up to 30 s for the lock (Python's default is
    # 5 s, which 20 concurrent editors exceeded in `netpol-console bench`: "database is locked").
    connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
