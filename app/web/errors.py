"""Errors that reach no form, rendered as the error page: domain errors (a page of a missing
object, a refused GET), said as every form says them (``app.web.forms.refusal``), and HTTP errors
of paths that are no page (404, 405). The REST API renders both as problem details instead
(``app.api.problems.install`` keeps these handlers for every path outside ``/api``)."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from app.errors import DomainError
from app.policies.words import N_
from app.web.forms import refusal, tell
from app.web.templating import templates

# The error page's heading per status, in the catalog.
TITLES = {
    400: N_("Bad request"),
    401: N_("Sign-in required"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    422: N_("Invalid"),
    429: N_("Too many requests"),
    503: N_("Unavailable"),
}
NO_PAGE = N_("No page at this address.")


def _page(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    context = {"status": status, "title": tell(request, TITLES.get(status, "Error")), "message": message}
    return templates.TemplateResponse(request, "error.html", context, status_code=status, headers=headers)


async def domain_error_page(request: Request, exc: DomainError) -> HTMLResponse:
    refused = refusal(request, exc)
    message = refused.banner or "; ".join(f"{path}: {text}" for path, text in refused.fields.items())
    return _page(request, refused.status, message)


async def http_error_page(request: Request, exc: HTTPException) -> HTMLResponse:
    if exc.status_code == 404:
        message = tell(request, NO_PAGE)
    else:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return _page(request, exc.status_code, message, dict(exc.headers) if exc.headers else None)
