"""The REST API for other portals: JSON routes under /api/v1 over the same services as the pages.

``build_router()`` holds the routes (the app includes it ahead of the pages'); ``install(app)`` adds
the problem-details error handlers (scoped to /api paths) and the documentation pages /docs and
/redoc (app/api/docs.py).
Every route documents its errors (400, 401, 403, 404, 409, 413, 422, 429, 503) in the OpenAPI document.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

from app.api import analysis, audit, clusters, docs, impact, namespaces, policies, problems, whitelist, workloads

PREFIX = "/api/v1"


class _Prefixed(APIRouter):
    """A router that answers "no match" at once for a path outside its prefix. FastAPI matches
    an included router by trying each of its routes: the API's ~80 patterns, 60 µs for every page
    request when the API comes first, and every API request paid the pages' routers likewise."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = get_route_path(scope)
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            return Match.NONE, {}
        return super().matches(scope)


def build_router() -> APIRouter:
    router = _Prefixed(prefix=PREFIX, responses=problems.PROBLEM_RESPONSES)
    for module in (clusters, namespaces, workloads, policies, analysis, impact, whitelist, audit):
        router.include_router(module.router)
    return router


def install(app: FastAPI) -> None:
    """Problem details for /api paths, which wrap the handlers installed before (call it after the
    pages' error handlers are added), and the docs pages. The routes are ``build_router()``'s,
    included by the app ahead of the pages' (its callers are machines, many requests each; a
    page's path skips them with one comparison, see ``_Prefixed``)."""
    problems.install(app)
    docs.install(app)
