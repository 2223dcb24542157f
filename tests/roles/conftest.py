"""One console per module (its lifespan run in-process against the shared sandbox) with one user
per role, each signed in through the login page and holding an API token made by
``app.accounts.tokens.create_token``; a namespace of the module's own.

The people (their teams decide the whitelist):

=========  ==========  ===========  =========================================
who        roles       team         whitelist for cluster "sandbox"
=========  ==========  ===========  =========================================
viewer     viewer      viewers      none
operator   operator    app-team     Approved
stranger   operator    no-app       none (an operator of an unapproved team)
approver   approver    approvers    none
admin      admin,      platform     Approved (the bootstrap admin)
           approver
reviewer   approver    review       (approves the setup's applications)
=========  ==========  ===========  =========================================
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest_asyncio
from fastapi import FastAPI
from kubernetes_asyncio import client as k8s

from app.accounts import service as accounts
from app.accounts import tokens
from app.config import Settings
from app.main import create_app
from app.whitelist import service as whitelist
from tests.accounts.conftest import BASE, csrf_of, login
from tests.conftest import SandboxProcess, kube_client

ADMIN_PASSWORD = "roles-admin-password"
CLUSTER = "sandbox"
# role key -> (username, roles, team); "admin" is the bootstrap admin.
PEOPLE: dict[str, tuple[str, list[str], str]] = {
    "viewer": ("vic", ["viewer"], "viewers"),
    "operator": ("olga", ["operator"], "app-team"),
    "stranger": ("otto", ["operator"], "no-app"),
    "approver": ("anna", ["approver"], "approvers"),
    "reviewer": ("rita", ["approver"], "review"),
}
ROLE_KEYS = ("viewer", "operator", "stranger", "approver", "admin")


def password_of(username: str) -> str:
    return f"{username}-password-123"


@dataclass
class Console:
    """The running console, a signed-in page client and an API token per role key."""

    app: FastAPI
    kube: Any
    namespace: str
    pages: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    api: httpx.AsyncClient | None = None

    @property
    def net(self) -> k8s.NetworkingV1Api:
        return k8s.NetworkingV1Api(self.kube)

    def bearer(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def user(self, who: str) -> str:
        return self.usernames[who]

    async def post_page(self, who: str, url: str, data: dict[str, str] | list[tuple[str, str]]) -> httpx.Response:
        """A form post as the browser sends it (the session's CSRF token in the form)."""
        fields = list(data.items()) if isinstance(data, dict) else list(data)
        form: dict[str, list[str]] = {}
        for key, value in [*fields, ("csrf_token", self.csrf[who])]:
            form.setdefault(key, []).append(value)  # repeated keys (checkboxes) stay repeated
        return await self.pages[who].post(url, data=form)

    async def wait_cached(self, name: str, present: bool = True) -> None:
        cache = self.app.state.clusters.get(CLUSTER).cache
        await wait_for(lambda: (cache.network_policy(self.namespace, name) is not None) == present)

    async def make_policy(self, name: str) -> str:
        """A policy made straight in the cluster (not through the console); its resourceVersion."""
        obj = await self.net.create_namespaced_network_policy(
            self.namespace, {"metadata": {"name": name}, "spec": {"podSelector": {"matchLabels": {"app": name}}}}
        )
        await self.wait_cached(name)
        return str(obj.metadata.resource_version)

    async def policy(self, name: str) -> dict[str, Any] | None:
        """The policy as the cluster holds it, or None."""
        try:
            obj = await self.net.read_namespaced_network_policy(name, self.namespace)
        except k8s.ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return self.kube.sanitize_for_serialization(obj)  # type: ignore[no-any-return]

    async def pending_application(self, requester: str = "someone", team: str = "") -> int:
        """A Pending application of a throwaway team (or of ``team``), submitted by ``requester``."""
        async with self.app.state.sessions() as db:
            app = await whitelist.submit(db, CLUSTER, team or f"t-{uuid.uuid4().hex[:8]}", requester, "matrix")
            await db.commit()
            return app.id

    async def approved_application(self) -> int:
        app_id = await self.pending_application()
        async with self.app.state.sessions() as db:
            reviewer = await accounts.get_user(db, self.user("reviewer"))
            await whitelist.approve(db, app_id, reviewer, "ok")
            await db.commit()
        return app_id

    async def application_status(self, app_id: int) -> str:
        async with self.app.state.sessions() as db:
            return (await whitelist.get_application(db, app_id)).status

    async def close_applications_of(self, team: str) -> None:
        """Reject the team's Pending application (so the team may apply again)."""
        async with self.app.state.sessions() as db:
            reviewer = await accounts.get_user(db, self.user("reviewer"))
            for app in await whitelist.list_applications(db, team=team, status="Pending"):
                await whitelist.reject(db, app.id, reviewer, "matrix cleanup")
            await db.commit()


async def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


async def _seed(app: FastAPI, c: Console) -> None:
    async with app.state.sessions() as db:
        for key, (username, roles, team) in PEOPLE.items():
            await accounts.create_user(db, username, team=team, roles=roles, password=password_of(username))
            c.usernames[key] = username
        c.usernames["admin"] = "admin"
        reviewer = await accounts.get_user(db, "rita")
        for team, requester in (("app-team", "olga"), ("platform", "admin")):
            application = await whitelist.submit(db, CLUSTER, team, requester, "role matrix")
            await whitelist.approve(db, application.id, reviewer, "ok")
        for key in ROLE_KEYS:
            _, c.tokens[key] = await tokens.create_token(db, c.usernames[key], "matrix", scope="write")
        await whitelist.set_api_gated(db, True)  # the API matrix expects the pages' rules
        await db.commit()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def console(sandbox: SandboxProcess, tmp_path_factory: Any) -> AsyncIterator[Console]:
    data_dir = tmp_path_factory.mktemp("roles") / "console"
    app = create_app(Settings(kubeconfig=sandbox.kubeconfig_path, data_dir=data_dir,
                              admin_password=ADMIN_PASSWORD, api_rate_burst=10_000))
    kube = await kube_client(sandbox)
    namespace = f"roles-{uuid.uuid4().hex[:8]}"
    core = k8s.CoreV1Api(kube)
    await core.create_namespace({"metadata": {"name": namespace}})
    try:
        async with app.router.lifespan_context(app):
            assert await app.state.clusters.wait_ready(30)
            c = Console(app, kube, namespace)
            await _seed(app, c)
            cache = app.state.clusters.get(CLUSTER).cache
            await wait_for(lambda: cache.get("namespaces", None, namespace) is not None)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE) as api:
                c.api = api
                for key in ROLE_KEYS:
                    page = httpx.AsyncClient(transport=transport, base_url=BASE)
                    c.pages[key] = page
                    username = c.usernames[key]
                    signed = await login(page, username, ADMIN_PASSWORD if key == "admin" else password_of(username))
                    assert signed.status_code == 303, signed.text
                    c.csrf[key] = csrf_of((await page.get("/account")).text)
                try:
                    yield c
                finally:
                    for page in c.pages.values():
                        await page.aclose()
            await asyncio.sleep(0.25)  # aiohttp closes TLS transports a moment after close()
    finally:
        await core.delete_namespace(namespace)
        await kube.close()
