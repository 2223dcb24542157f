"""create_app(settings): wiring only — lifespan, routers, static files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import __version__
from app import api as rest_api
from app.accounts import admin_web
from app.accounts import templating as accounts_templating
from app.accounts import web as accounts_web
from app.accounts.middleware import AuthMiddleware
from app.accounts.service import ensure_bootstrap_admin
from app.audit import web as audit_web
from app.config import Settings
from app.connect import connect
from app.db import make_engine, make_sessionmaker
from app.errors import DomainError
from app.migrate import upgrade_async
from app.web import connectivity, health, networkpolicies, pages, policy_editor, policy_views, workloads
from app.web.errors import domain_error_page
from app.web.templating import templates
from app.whitelist import web as whitelist_web
from app.whitelist.service import grant_embedded_sandbox

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
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
            yield
        finally:
            await app.state.connections.close()
            await engine.dispose()

    app = FastAPI(title="netpol-console", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    app.include_router(health.router)
    app.include_router(accounts_web.router)
    app.include_router(pages.router)
    app.include_router(networkpolicies.router)
    app.include_router(policy_editor.router)
    app.include_router(policy_views.router)
    app.include_router(workloads.router)
    app.include_router(connectivity.router)
    app.include_router(whitelist_web.router)
    app.include_router(audit_web.router)
    app.include_router(admin_web.router)
    app.add_exception_handler(DomainError, domain_error_page)  # type: ignore[arg-type]
    rest_api.install(app)  # /api/v1 routes; problem details for /api paths
    app.add_middleware(AuthMiddleware)
    accounts_templating.install(templates)
    return app
