"""Domain errors rendered as pages (the REST API renders them as problem details instead)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.errors import DomainError
from app.web.templating import templates


async def domain_error_page(request: Request, exc: DomainError) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "error.html", {"error": exc, "status": exc.status_code}, status_code=exc.status_code
    )
