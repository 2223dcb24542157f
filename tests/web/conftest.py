"""Page tests: the console in-process against the shared sandbox, signed in as the admin, whose
team holds an approved whitelist application for the sandbox cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.accounts.service import create_user
from app.whitelist.service import DEMO_NAMESPACES, approve, submit
from tests.accounts.conftest import ConsoleFactory, login, make_console  # noqa: F401 - fixtures


async def approve_team(app: FastAPI, cluster: str = "sandbox", team: str = "platform") -> None:
    """Every namespace, the system ones too (so an admin of another team approves)."""
    async with app.state.sessions() as db:
        reviewer = await create_user(db, "reviewer", team="review", roles=["admin"], password="reviewer-pw-123")
        application = await submit(db, cluster, team, "admin", "page tests", namespaces=DEMO_NAMESPACES)
        await approve(db, application.id, reviewer, "ok")
        await db.commit()


@pytest.fixture
async def admin(make_console: ConsoleFactory) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:  # noqa: F811
    async with make_console() as (app, client):
        await approve_team(app)
        response = await login(client)
        assert response.status_code in (200, 303)
        yield app, client
