"""The Deployment's replicas start at the same moment on an empty PostgreSQL database: each
migrates at start (`netpol-console serve`), one after the other (migrations/env.py's advisory
lock), so none fails on the other's half-made tables and restarts."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from sqlalchemy import text

from app.db import make_engine
from tests.conftest import ROOT


def versions(url: str) -> list[str]:
    async def read() -> list[str]:
        engine = make_engine(url)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
        await engine.dispose()
        return list(rows)

    return asyncio.run(read())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # tests/db_fixtures.py's, empty
def test_four_consoles_migrating_one_database_url_at_once_all_succeed(database_url: str) -> None:
    code = f"from app.migrate import upgrade; upgrade({database_url!r})"
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]  # fmt: skip
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [e[-800:] for e in errors]
    heads = subprocess.run([sys.executable, "-m", "alembic", "heads"], cwd=ROOT, capture_output=True, text=True)
    assert versions(database_url) == [heads.stdout.split()[0]]
