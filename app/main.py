"""create_app(settings): wiring only — lifespan, routers, static files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import __version__, collector
from app import api as rest_api
from app.accounts.middleware import AuthMiddleware
from app.accounts.service import ensure_bootstrap_admin
from app.audit.reconcile import settling
from app.config import Settings
from app.connect import connect
from app.db import make_engine, make_sessionmaker
from app.errors import DomainError
from app.limits import BodyLimits
from app.migrate import upgrade_async
from app.secret_key import ensure_secret_key
from app.web import (
    account,
    accounts,
    admin,
    audit,
    connectivity,
    health,
    namespaces,
    networkpolicies,
    observe,
    pages,
    policy_editor,
    policy_views,
    whitelist,
    workloads,
)
from app.web import headers as security_headers
from app.web import metrics as metrics_page
from app.web.errors import domain_error_page, http_error_page
from app.whitelist.service import grant_embedded_sandbox

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        collector.tune()  # young collections less often: a large cluster's review, not a full GC (app.collector)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        ensure_secret_key(settings)  # refuses a public key, or none outside a development trial
        await upgrade_async(settings.database_url)
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessions = make_sessionmaker(engine)
        await ensure_bootstrap_admin(app.state.sessions, settings)
        app.state.connections = await connect(settings)
        app.state.clusters = app.state.connections.registry
        try:
            if app.state.connections.sandbox is not None:
                await grant_embedded_sandbox(app.state.sessions, app.state.connections.source.context or "sandbox")
            # writes a stopped console left pending are settled against the cluster (app.audit.reconcile)
            async with settling(app.state.sessions, app.state.clusters):
                yield
        finally:
            await app.state.connections.close()
            await engine.dispose()

    # /docs and /redoc come from app.api.docs, with vendored assets instead of a CDN
    app = FastAPI(title="netpol-console", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    app.include_router(rest_api.build_router())  # /api/v1 routes, matched first (app/api/__init__.py)
    app.include_router(health.router)
    app.include_router(metrics_page.router)
    app.include_router(accounts.router)
    app.include_router(pages.router)
    app.include_router(networkpolicies.router)
    app.include_router(policy_editor.router)
    app.include_router(policy_views.router)
    app.include_router(namespaces.router)
    app.include_router(workloads.router)
    app.include_router(connectivity.router)
    app.include_router(whitelist.router)
    app.include_router(audit.router)
    app.include_router(admin.router)
    app.include_router(account.router)
    app.add_exception_handler(DomainError, domain_error_page)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error_page)  # type: ignore[arg-type]
    rest_api.install(app)  # problem details for /api paths (around the pages' handlers); /docs, /redoc
    app.add_middleware(AuthMiddleware)
    app.add_middleware(BodyLimits)  # body limits before sign-in is decided, before any body is read
    security_headers.install(app)  # outside every middleware, so errors carry the headers too
    observe.install(app)  # request id, access log, latency metric: around everything, reads no body
    return app
