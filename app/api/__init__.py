"""The REST API for other portals: JSON routes under /api/v1 over the same services as the pages.

``install(app)`` adds the routes, the problem-details error handlers (scoped to /api paths) and the
documentation pages /docs and /redoc (app/api/docs.py).
Every route documents its errors (400, 401, 403, 404, 409, 413, 422, 429, 503) in the OpenAPI document.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from app.api import analysis, audit, clusters, docs, impact, namespaces, policies, problems, whitelist, workloads

PREFIX = "/api/v1"


def build_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX, responses=problems.PROBLEM_RESPONSES)
    for module in (clusters, namespaces, workloads, policies, analysis, impact, whitelist, audit):
        router.include_router(module.router)
    return router


def install(app: FastAPI) -> None:
    app.include_router(build_router())
    problems.install(app)
    docs.install(app)
