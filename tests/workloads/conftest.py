"""A cluster client on the shared sandbox, a migrated SQLite database for the audit log, and
writers of each role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import User
from app.db import make_engine, make_sessionmaker
from app.editing.service import Writer
from app.migrate import upgrade_async
from tests.cluster.conftest import cluster, registry  # noqa: F401 - fixtures


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    await upgrade_async(url)
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def operator(sessions: async_sessionmaker[AsyncSession]) -> Writer:
    olga = User(username="olga", team="shop", roles=frozenset({"operator"}), disabled=False)
    return Writer(olga, "console", sessions)


@pytest.fixture
def viewer(sessions: async_sessionmaker[AsyncSession]) -> Writer:
    vic = User(username="vic", team="shop", roles=frozenset({"viewer"}), disabled=False)
    return Writer(vic, "console", sessions)
