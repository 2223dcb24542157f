"""The audit log page (/audit): entries newest first, filtered by cluster, namespace, user, object
and outcome (kept in the URL), each with its outcome in words, its request id and its before →
after diff; htmx's filter gets the entries only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.accounts.deps import CurrentUser, DbSession
from app.audit import service
from app.audit.models import OUTCOME_WORDS, OUTCOMES
from app.web.forms import render

router = APIRouter()

FILTER_FIELDS = ("cluster", "namespace", "actor", "name", "outcome")
# The style of each outcome: done, refused or not done, not known (yet).
OUTCOME_CLASS = {"success": "success", "applied": "success", "failure": "failure", "not_applied": "failure",
                 "pending": "unsettled", "unknown": "unsettled"}  # fmt: skip


@router.get("/audit", response_class=HTMLResponse, name="audit")
async def audit_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    q = request.query_params
    values = {f: q.get(f, "").strip() for f in FILTER_FIELDS}
    if values["outcome"] not in OUTCOMES:
        values["outcome"] = ""
    filters = service.AuditFilter(cluster=values["cluster"], namespace=values["namespace"],
                                  actor=values["actor"], name=values["name"], outcome=values["outcome"])
    page = await service.query(db, filters, limit=service.DEFAULT_LIMIT,
                               continue_token=q.get("continue") or None)
    rows = [(e, service.diff_lines(service.entry_diff(e))) for e in page.entries]
    next_query = None
    if page.continue_token:
        params = {k: v for k, v in values.items() if v}
        params["continue"] = page.continue_token
        next_query = str(request.url.include_query_params(**params).query)
    context = {"rows": rows, "filters": values, "next_query": next_query, "nav": "audit",
               "paged": bool(q.get("continue")), "outcome_words": OUTCOME_WORDS, "outcome_class": OUTCOME_CLASS}
    return render(request, "audit/index.html", context, fragment="audit/_entries.html")
