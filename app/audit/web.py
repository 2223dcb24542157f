"""The audit log page (/audit): entries newest first, filtered by cluster, namespace, user and
object (kept in the URL), each with its before → after diff."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.accounts.deps import CurrentUser, DbSession
from app.audit import service
from app.web.templating import templates

router = APIRouter()

FILTER_FIELDS = ("cluster", "namespace", "actor", "name")


def fmt_time(value: Any) -> str:
    """A timestamp as the pages show it (UTC)."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


@router.get("/audit", response_class=HTMLResponse, name="audit")
async def audit_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    q = request.query_params
    values = {f: q.get(f, "").strip() for f in FILTER_FIELDS}
    filters = service.AuditFilter(cluster=values["cluster"], namespace=values["namespace"],
                                  actor=values["actor"], name=values["name"])
    page = await service.query(db, filters, limit=service.DEFAULT_LIMIT,
                               continue_token=q.get("continue") or None)
    rows = [(e, service.diff_lines(service.entry_diff(e))) for e in page.entries]
    next_query = None
    if page.continue_token:
        params = {k: v for k, v in values.items() if v}
        params["continue"] = page.continue_token
        next_query = str(request.url.include_query_params(**params).query)
    context = {"rows": rows, "filters": values, "next_query": next_query, "fmt_time": fmt_time,
               "nav": "audit", "paged": bool(q.get("continue"))}
    template = "audit/_entries.html" if request.headers.get("HX-Request") else "audit/index.html"
    return templates.TemplateResponse(request, template, context)
