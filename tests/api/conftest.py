"""The console served in-process (lifespan run) against the shared sandbox, with users and API
tokens made through the real services, and a namespace of the test's own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.accounts import service as accounts
from app.accounts import tokens
from app.config import Settings
from app.main import create_app
from tests.conftest import SandboxProcess

ADMIN_PASSWORD = "bootstrap-admin-pw"
BASE = "http://console.test"


@dataclass
class Api:
    app: FastAPI
    client: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def get(self, url: str, who: str = "admin", **kw: Any) -> httpx.Response:
        return await self.client.get(url, headers={**self.auth(who), **kw.pop("headers", {})}, **kw)

    async def send(self, method: str, url: str, who: str = "admin", **kw: Any) -> httpx.Response:
        return await self.client.request(
            method, url, headers={**self.auth(who), **kw.pop("headers", {})}, **kw
        )


async def seed_callers(app: FastAPI) -> dict[str, str]:
    """Users (admin: the bootstrap admin; olga: operator in app-team; vic: viewer; anna: approver)
    and their tokens: ``admin``, ``olga``, ``olga-read``, ``vic``, ``anna``."""
    out: dict[str, str] = {}
    async with app.state.sessions() as db:
        await accounts.create_user(db, "olga", team="app-team", roles=["operator"], password="olga-password")
        await accounts.create_user(db, "vic", team="app-team", roles=["viewer"], password="vic-password")
        await accounts.create_user(db, "anna", team="platform", roles=["approver"], password="anna-password")
        for key, user, scope in (
            ("admin", "admin", "write"),
            ("olga", "olga", "write"),
            ("olga-read", "olga", "read"),
            ("vic", "vic", "write"),
            ("anna", "anna", "write"),
        ):
            _, out[key] = await tokens.create_token(db, user, f"test {key}", scope=scope)
        await db.commit()
    return out


ApiFactory = Callable[..., AbstractAsyncContextManager[Api]]


@pytest.fixture
def make_api(sandbox: SandboxProcess, tmp_path: Path) -> ApiFactory:
    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Api]:
        values: dict[str, Any] = {
            "kubeconfig": sandbox.kubeconfig_path,
            "data_dir": tmp_path / "console",
            "admin_password": ADMIN_PASSWORD,
            "api_rate_burst": 10_000,
        }
        values.update(overrides)
        app = create_app(Settings(**values))
        async with app.router.lifespan_context(app):
            assert await app.state.clusters.wait_ready(30)
            callers = await seed_callers(app)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
                yield Api(app, client, callers)
        await asyncio.sleep(0.25)  # aiohttp closes TLS transports a moment after close()

    return start


@pytest.fixture
async def api(make_api: ApiFactory) -> AsyncIterator[Api]:
    async with make_api() as a:
        yield a


async def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


@pytest.fixture
async def ns(api: Api, namespace: str) -> str:
    """The test's own namespace, once the console's cache has it."""
    cluster = next(iter(api.app.state.clusters))
    await wait_for(lambda: cluster.cache.namespace(namespace) is not None)
    return namespace
