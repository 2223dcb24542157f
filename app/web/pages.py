"""The console's pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.durations import human_duration
from app.web.accounts import safe_next
from app.web.i18n import LANGUAGES
from app.web.templating import templates

router = APIRouter()


@router.get("/", response_class=HTMLResponse, name="clusters")
async def clusters(request: Request) -> HTMLResponse:
    registry = request.app.state.clusters
    readiness = registry.readiness()
    rows = [
        {"name": name, **readiness.get(name, {}), "stale": _stale(readiness.get(name, {}))}
        for name in registry.names()
    ]
    return templates.TemplateResponse(request, "clusters/index.html", {"clusters": rows, "nav": "clusters"})


def _stale(report: dict[str, Any]) -> str | None:
    """How long since the stalest synced kind last heard from the API server (event, bookmark
    or list), as ``human_duration`` says it ("12s"; the page translates it)."""
    ages = [k["staleSeconds"] for k in (report.get("kinds") or {}).values() if k.get("staleSeconds") is not None]
    return human_duration(max(ages)) if ages else None


@router.get("/language", name="language")
async def language(request: Request, lang: str = "en", next: str = "/") -> RedirectResponse:
    """Switch the console's language (a cookie), then go back where the user was."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
