"""Two consoles on one PostgreSQL (issue 15 point 8), as two replicas behind a load balancer run:
a write through one is seen by the other, sessions and lockouts are shared; the API rate limit is
per process, as the README says."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.accounts.conftest import ADMIN_PASSWORD, BASE, csrf_of, login
from tests.conftest import SandboxProcess
from tests.db_fixtures import postgres_database
from tests.web.conftest import approve_team


@pytest.fixture
def shared_postgres() -> Iterator[str]:
    with postgres_database("netpol_two") as url:
        yield url


Pair = tuple[FastAPI, httpx.AsyncClient]


@pytest.fixture
async def two(sandbox: SandboxProcess, tmp_path: Path, shared_postgres: str) -> AsyncIterator[list[Pair]]:
    common: dict[str, Any] = {"kubeconfig": sandbox.kubeconfig_path, "database_url": shared_postgres,
                              "admin_password": ADMIN_PASSWORD, "secret_key": "two-consoles-" + "k" * 40,
                              "api_rate_per_second": 0.001, "api_rate_burst": 3}  # fmt: skip
    async with AsyncExitStack() as stack:
        out = []
        for name in ("a", "b"):
            app = create_app(Settings(data_dir=tmp_path / name, **common))
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
            )
            out.append((app, client))
        await approve_team(out[0][0])
        yield out
    await asyncio.sleep(0.25)  # the cluster clients' TLS transports close a moment later


async def test_a_session_made_on_one_console_works_on_the_other_and_ends_on_both(
    two: list[Pair],
) -> None:
    (_, a), (_, b) = two
    assert (await login(a)).status_code in (200, 303)
    b.cookies.update(a.cookies)
    page = await b.get("/account")
    assert page.status_code == 200 and "admin" in page.text
    logout = await a.post("/logout", data={"csrf_token": csrf_of((await a.get("/account")).text)})
    assert logout.status_code in (200, 303)
    assert (await b.get("/account", follow_redirects=False)).status_code in (302, 303, 401)


async def test_failed_logins_on_one_console_lock_the_address_on_the_other(
    two: list[Pair],
) -> None:
    (app, a), (_, b) = two
    for _ in range(app.state.settings.login_max_failures):
        failed = await a.post("/login", data={"username": "admin", "password": "not-the-password"})
        assert failed.status_code == 401
    refused = await b.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert refused.status_code == 429 and "Retry-After" in refused.headers


async def test_writes_through_one_console_are_seen_by_the_other(
    two: list[Pair], namespace: str
) -> None:
    (_, a), (_, b) = two
    for c in (a, b):
        assert (await login(c)).status_code in (200, 303)
    token = {"X-CSRF-Token": csrf_of((await a.get("/account")).text)}
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "two-consoles"}, "spec": {"podSelector": {}}}  # fmt: skip
    made = await a.post(f"/api/v1/clusters/sandbox/namespaces/{namespace}/networkpolicies", json=policy,
                        headers=token)  # fmt: skip
    assert made.status_code == 201, made.text
    deadline = time.monotonic() + 10
    while True:  # b's cache follows the cluster by watch
        seen = await b.get(f"/api/v1/clusters/sandbox/namespaces/{namespace}/networkpolicies/two-consoles")
        if seen.status_code == 200 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assert seen.status_code == 200
    audit = (await b.get("/api/v1/audit", params={"namespace": namespace})).json()
    assert any(e["name"] == "two-consoles" and e["action"] == "create" for e in audit["items"]), audit


async def test_the_api_rate_limit_is_per_process(two: list[Pair]) -> None:
    (_, a), (_, b) = two
    for c in (a, b):
        assert (await login(c)).status_code in (200, 303)
    answers = [(await a.get("/api/v1/clusters")).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert (await b.get("/api/v1/clusters")).status_code == 200  # b has its own bucket (README)
