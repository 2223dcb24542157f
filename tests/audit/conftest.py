"""A migrated database (SQLite and PostgreSQL, via ``database_url``) and sessions on it; the
cluster fixtures (a client of the sandbox, a scratch namespace)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import make_engine, make_sessionmaker
from app.migrate import upgrade_async
from tests.cluster.conftest import cluster, registry, scratch  # noqa: F401 - fixtures


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    await engine.dispose()
