"""The Quota Center page (/whitelist): the applications table for everyone, the form to apply
(cluster, namespaces, reason), and the approvers' Approve / Reject / Revoke buttons, offered only
where the service would accept the decision (not on one's own team's application, Approve of an
application naming a system namespace only to admins). Forms post plain HTML (CSRF token in the
``csrf_token`` field); every write goes through ``app.whitelist.service``, through the one edit
flow of ``app.web.forms``: success goes back to the list with its message, a refusal shows on
the page again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts.deps import CurrentUser, DbSession
from app.errors import DomainError, NotFound
from app.limits import MAX_ROW_ID, RowId
from app.policies.words import N_
from app.web.forms import Refusal, audit_refusal, done_url, notice, redirect, refusal, render
from app.whitelist import service
from app.whitelist.models import ACTIONS, ALL_BUT_SYSTEM, STATUSES, WhitelistApplication
from app.workloads.objects import SYSTEM_NAMESPACES

router = APIRouter()

# What the list says after each write (``?done=``); {name} is the cluster applied for, or the
# application's number.
DONE = {
    "apply": N_("Your team's application for cluster {name} was submitted."),
    "approve": N_("Application #{name} was approved."),
    "reject": N_("Application #{name} was rejected."),
    "revoke": N_("Application #{name} was revoked."),
}


def _clusters(request: Request) -> list[str]:
    return list(request.app.state.clusters.names())


def _blocked(applications: list[WhitelistApplication], user: CurrentUser) -> dict[int, dict[str, str]]:
    """Per application, the decisions the user may not take and why (the buttons left out)."""
    out: dict[int, dict[str, str]] = {}
    for a in applications:
        reasons = {action: refused.message for action in ACTIONS
                   if (refused := service.decision_refusal(a, action, user)) is not None}
        if reasons:
            out[a.id] = reasons
    return out


async def _page(
    request: Request, db: DbSession, user: CurrentUser, *, refused: Refusal | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    q = request.query_params
    status = q.get("status", "")
    status = status if status in STATUSES else ""
    cluster = q.get("cluster", "")
    clusters = _clusters(request)
    applications = await service.list_applications(db, status=status, cluster=cluster)
    own = {a.cluster: a.status for a in await service.list_applications(db, team=user.team)
           if a.status in ("Pending", "Approved")}
    context = {
        "applications": applications,
        "statuses": STATUSES,
        "clusters": clusters,
        "status": status,
        "cluster": cluster,
        "user": user,
        "is_approver": user.has_role("approver"),
        "blocked": _blocked(applications, user) if user.has_role("approver") else {},
        "namespace_list": service.namespace_list,
        "all_but_system": ALL_BUT_SYSTEM,
        "system_namespaces": sorted(SYSTEM_NAMESPACES),
        "own": own,
        "refused": refused,
        "notice": "" if refused else notice(request, DONE),
        "form": form or {"cluster": cluster or (clusters[0] if len(clusters) == 1 else ""), "reason": "",
                         "namespaces": ALL_BUT_SYSTEM},
        "nav": "whitelist",
    }
    if refused is not None:
        return render(request, "whitelist/index.html", context, status_code=refused.status)
    return render(request, "whitelist/index.html", context, fragment="whitelist/_table.html")


def _back(request: Request, done: str, name: str) -> str:
    """The list again, with the filters the form was posted from (kept in its query string), saying
    what was done."""
    url = request.url_for("whitelist")
    query = request.url.query
    return done_url(f"{url}?{query}" if query else str(url), done, name)


@router.get("/whitelist", response_class=HTMLResponse, name="whitelist")
async def whitelist_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    return await _page(request, db, user)


@router.post("/whitelist", response_class=HTMLResponse, name="whitelist-apply")
async def apply(
    request: Request, db: DbSession, user: CurrentUser,
    cluster: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
    namespaces: Annotated[str, Form()] = ALL_BUT_SYSTEM,
) -> Response:
    try:
        await service.submit(db, cluster, user.team, user.username, reason, via="console",
                             clusters=_clusters(request), namespaces=namespaces)
        await db.commit()
    except DomainError as exc:
        await db.rollback()
        await audit_refusal(request, exc, actor=user.username, kind=service.KIND, name="",
                            action="application.submit", cluster=cluster)
        return await _page(request, db, user, refused=refusal(request, exc),
                           form={"cluster": cluster, "reason": reason, "namespaces": namespaces})
    return redirect(request, _back(request, "apply", cluster))


@router.post("/whitelist/{app_id}/{action}", response_class=HTMLResponse, name="whitelist-decide")
async def decide(
    request: Request, db: DbSession, user: CurrentUser,
    app_id: RowId, action: str,
    comment: Annotated[str, Form()] = "", version: Annotated[int | None, Form(ge=0, le=MAX_ROW_ID)] = None,
) -> Response:
    if action not in ACTIONS:
        unknown = NotFound(f"unknown action {action!r} (approve, reject or revoke)")
        return await _page(request, db, user, refused=refusal(request, unknown))
    try:
        await service.decide(db, app_id, action, user, comment, version=version, via="console")
        await db.commit()
    except DomainError as exc:
        await db.rollback()
        await service.record_refusal(request.app.state.sessions, app_id, action, user.username, exc)
        return await _page(request, db, user, refused=refusal(request, exc))
    return redirect(request, _back(request, action, str(app_id)))
