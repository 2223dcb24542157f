"""Real databases for tests: a temporary SQLite file and a throw-away PostgreSQL database
(the server on 127.0.0.1:5432 with trust auth), each test getting an empty one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

POSTGRES_ADMIN_DSN = os.environ.get("NETPOL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _admin(sql: str) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_DSN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


@contextmanager
def postgres_database(prefix: str = "netpol_test") -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    host = POSTGRES_ADMIN_DSN.split("@", 1)[1].rsplit("/", 1)[0]
    user = POSTGRES_ADMIN_DSN.split("://", 1)[1].split("@", 1)[0]
    try:
        yield f"postgresql+asyncpg://{user}@{host}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    with postgres_database() as url:
        yield url
