"""The console's pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.web.templating import templates

router = APIRouter()


@router.get("/", response_class=HTMLResponse, name="clusters")
async def clusters(request: Request) -> HTMLResponse:
    registry = request.app.state.clusters
    readiness = registry.readiness()
    rows = [{"name": name, **readiness.get(name, {})} for name in registry.names()]
    return templates.TemplateResponse(request, "clusters/index.html", {"clusters": rows})
