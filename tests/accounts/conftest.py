"""The console app served in-process (its lifespan run) against the shared sandbox cluster and a
real database, and helpers to sign in."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.conftest import SandboxProcess

ADMIN_PASSWORD = "bootstrap-admin-pw"
BASE = "http://console.test"

ConsoleFactory = Callable[..., AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture
def make_console(sandbox: SandboxProcess, tmp_path: Path) -> ConsoleFactory:
    """``async with make_console(**settings) as (app, client)``: a running console and a client."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        values: dict[str, Any] = {"kubeconfig": sandbox.kubeconfig_path, "data_dir": tmp_path / "console",
                                  "admin_password": ADMIN_PASSWORD}
        values.update(overrides)
        app = create_app(Settings(**values))
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
                yield app, client
        # aiohttp (under the cluster clients) closes TLS transports a moment after close() returns.
        await asyncio.sleep(0.25)

    return start


@pytest.fixture
async def console(make_console: ConsoleFactory) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with make_console() as pair:
        yield pair


def csrf_of(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


async def login(client: httpx.AsyncClient, username: str = "admin", password: str = ADMIN_PASSWORD,
                next_path: str = "/") -> httpx.Response:
    return await client.post("/login", data={"username": username, "password": password, "next": next_path})
