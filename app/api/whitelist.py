"""The Quota Center over the API: applications (with the namespaces they cover), and approvers'
decisions, under the same rules as the page (``app.whitelist.service``): an approver of another
team decides, an application naming a system namespace is approved by an admin; a refusal is a
403 problem+json saying why."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from app.api import paging
from app.api.auth import CallerDep, WriterDep
from app.api.paging import ContinueQuery, LimitQuery
from app.api.schemas import Application, ApplicationIn, ApplicationList, Decision, DecisionIn, ListMeta
from app.errors import BadRequest, DomainError
from app.whitelist import service

router = APIRouter(prefix="/whitelist/applications", tags=["whitelist"])

StatusQuery = Annotated[Literal["Pending", "Approved", "Rejected", "Revoked"] | None, Query()]
TextQuery = Annotated[str, Query(max_length=253)]
AppId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The application's id")]
MAX_ID = service.MAX_ID


def _out(
    app: service.WhitelistApplication, decisions: list[service.WhitelistDecision] | None = None
) -> Application:
    data = service.application_dict(app)
    if decisions is not None:
        data["decisions"] = [
            Decision(action=d.action, actor=d.actor, at=d.at.isoformat(), comment=d.comment)
            for d in decisions
        ]
    return Application(**data)


@router.get("", response_model=ApplicationList, summary="Whitelist applications, newest first")
async def list_applications(
    request: Request,
    caller: CallerDep,
    status: StatusQuery = None,
    cluster: TextQuery = "",
    team: TextQuery = "",
    limit: LimitQuery = None,
    continue_: ContinueQuery = None,
) -> ApplicationList:
    size = max(1, min(limit or paging.DEFAULT_LIMIT, paging.MAX_LIMIT))
    # Paged by key: the token carries the last id returned, the next page has smaller ids only,
    # so applications submitted meanwhile neither repeat nor push items off a page.
    before_id: int | None = None
    if continue_:
        before_id = paging.decode("whitelist", continue_)
        if not isinstance(before_id, int) or isinstance(before_id, bool) or not 1 <= before_id <= MAX_ID:
            raise BadRequest("invalid continue token")
    async with request.app.state.sessions() as db:
        apps = await service.list_applications(
            db, status=status or "", cluster=cluster, team=team, limit=size + 1, before_id=before_id
        )
    more = paging.encode("whitelist", apps[size - 1].id) if len(apps) > size else None
    return ApplicationList(items=[_out(a) for a in apps[:size]], metadata=ListMeta(continue_=more))


@router.post(
    "",
    response_model=Application,
    status_code=201,
    summary="Apply for console writes to a cluster, for the caller's team",
)
async def submit(request: Request, body: ApplicationIn, caller: WriterDep) -> Application:
    async with request.app.state.sessions() as db:
        app = await service.submit(
            db,
            body.cluster,
            caller.team,
            caller.username,
            body.reason,
            via="api",
            clusters=request.app.state.clusters.names(),
            namespaces=body.namespaces,
        )
        await db.commit()
        return _out(app, [])


@router.get("/{app_id}", response_model=Application, summary="One application and its decisions")
async def get_application(request: Request, app_id: AppId, caller: CallerDep) -> Application:
    async with request.app.state.sessions() as db:
        app = await service.get_application(db, app_id)
        return _out(app, await service.decisions(db, app_id))


async def _decide(
    request: Request, app_id: AppId, action: str, body: DecisionIn, caller: WriterDep
) -> Application:
    sessions = request.app.state.sessions
    async with sessions() as db:
        try:
            app = await service.decide(
                db, app_id, action, caller.user, body.comment, version=body.version, via="api"
            )
            await db.commit()
        except DomainError as exc:
            await db.rollback()
            await service.record_refusal(sessions, app_id, action, caller.username, exc, via="api")
            raise
        return _out(app, await service.decisions(db, app_id))


@router.post("/{app_id}/approve", response_model=Application, summary="Approve a Pending application")
async def approve(request: Request, app_id: AppId, body: DecisionIn, caller: WriterDep) -> Application:
    return await _decide(request, app_id, "approve", body, caller)


@router.post("/{app_id}/reject", response_model=Application, summary="Reject a Pending application")
async def reject(request: Request, app_id: AppId, body: DecisionIn, caller: WriterDep) -> Application:
    return await _decide(request, app_id, "reject", body, caller)


@router.post("/{app_id}/revoke", response_model=Application, summary="Revoke an Approved application")
async def revoke(request: Request, app_id: AppId, body: DecisionIn, caller: WriterDep) -> Application:
    return await _decide(request, app_id, "revoke", body, caller)
