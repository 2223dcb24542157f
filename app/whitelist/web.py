"""The Quota Center page (/whitelist): the applications table for everyone, the form to apply,
and the approvers' Approve / Reject / Revoke buttons. Forms post plain HTML (CSRF token in the
``csrf_token`` field); every write goes through ``app.whitelist.service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.deps import CurrentUser, DbSession
from app.audit import service as audit
from app.audit.web import fmt_time
from app.errors import DomainError, Invalid, NotFound
from app.web.templating import templates
from app.whitelist import service
from app.whitelist.models import ACTIONS, STATUSES

router = APIRouter()


def _clusters(request: Request) -> list[str]:
    return list(request.app.state.clusters.names())


async def _page(
    request: Request, db: DbSession, user: CurrentUser, *, status_code: int = 200,
    error: DomainError | None = None, form: dict[str, str] | None = None,
) -> HTMLResponse:
    q = request.query_params
    status = q.get("status", "")
    status = status if status in STATUSES else ""
    cluster = q.get("cluster", "")
    clusters = _clusters(request)
    applications = await service.list_applications(db, status=status, cluster=cluster)
    own = {a.cluster: a.status for a in await service.list_applications(db, team=user.team)
           if a.status in ("Pending", "Approved")}
    causes = {c.field: c.message for c in error.causes} if isinstance(error, Invalid) else {}
    context = {
        "applications": applications,
        "statuses": STATUSES,
        "clusters": clusters,
        "status": status,
        "cluster": cluster,
        "user": user,
        "is_approver": user.has_role("approver"),
        "own": own,
        "error": error,
        "causes": causes,
        "form": form or {"cluster": cluster or (clusters[0] if len(clusters) == 1 else ""), "reason": ""},
        "fmt_time": fmt_time,
        "nav": "whitelist",
    }
    template = "whitelist/_table.html" if request.headers.get("HX-Request") and error is None \
        else "whitelist/index.html"
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def _back(request: Request) -> str:
    """The list again, with the filters the form was posted from (kept in its query string)."""
    url = request.url_for("whitelist")
    query = request.url.query
    return f"{url}?{query}" if query else str(url)


def _go(request: Request, location: str) -> Response:
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Location": location})
    return RedirectResponse(location, status_code=303)


@router.get("/whitelist", response_class=HTMLResponse, name="whitelist")
async def whitelist_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    return await _page(request, db, user)


@router.post("/whitelist", response_class=HTMLResponse, name="whitelist-apply")
async def apply(
    request: Request, db: DbSession, user: CurrentUser,
    cluster: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        await service.submit(db, cluster, user.team, user.username, reason, via="console",
                             clusters=_clusters(request))
        await db.commit()
    except DomainError as exc:
        await db.rollback()
        if not isinstance(exc, Invalid):
            await audit.record_detached(
                request.app.state.sessions, user.username, "console", cluster, "", service.KIND, "",
                "application.submit", "failure", None, None, str(exc))
        return await _page(request, db, user, status_code=exc.status_code, error=exc,
                           form={"cluster": cluster, "reason": reason})
    return _go(request, _back(request))


@router.post("/whitelist/{app_id}/{action}", response_class=HTMLResponse, name="whitelist-decide")
async def decide(
    request: Request, db: DbSession, user: CurrentUser,
    app_id: Annotated[int, Path(ge=1, le=2**63 - 1)], action: str,
    comment: Annotated[str, Form()] = "", version: Annotated[int | None, Form()] = None,
) -> Response:
    if action not in ACTIONS:
        return await _page(request, db, user, status_code=404,
                           error=NotFound(f"unknown action {action!r} (approve, reject or revoke)"))
    try:
        await service.decide(db, app_id, action, user, comment, version=version, via="console")
        await db.commit()
    except DomainError as exc:
        await db.rollback()
        await service.record_refusal(request.app.state.sessions, app_id, action, user.username, exc)
        return await _page(request, db, user, status_code=exc.status_code, error=exc)
    return _go(request, _back(request))
