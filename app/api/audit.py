"""The audit log over the API: filtered, newest first, paged."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from app.api.auth import CallerDep
from app.api.paging import ContinueQuery, LimitQuery
from app.api.schemas import AuditEntryOut, AuditList, ListMeta
from app.audit import service

router = APIRouter(tags=["audit"])

TextQuery = Annotated[str, Query(max_length=253)]


@router.get("/audit", response_model=AuditList, summary="Audit log entries, newest first")
async def list_entries(
    request: Request,
    caller: CallerDep,
    cluster: TextQuery = "",
    namespace: TextQuery = "",
    actor: TextQuery = "",
    name: TextQuery = "",
    kind: TextQuery = "",
    action: TextQuery = "",
    outcome: Annotated[
        Literal["success", "failure", "pending", "unknown", "applied", "not_applied"] | None, Query()
    ] = None,
    via: Annotated[Literal["console", "api", "cli"] | None, Query()] = None,
    limit: LimitQuery = None,
    continue_: ContinueQuery = None,
) -> AuditList:
    filters = service.AuditFilter(
        cluster=cluster,
        namespace=namespace,
        actor=actor,
        name=name,
        kind=kind,
        action=action,
        outcome=outcome or "",
        via=via or "",
    )
    async with request.app.state.sessions() as db:
        page = await service.query(
            db, filters, limit=limit or service.DEFAULT_LIMIT, continue_token=continue_ or None
        )
    items = [AuditEntryOut(**service.entry_dict(e)) for e in page.entries]
    return AuditList(items=items, metadata=ListMeta(continue_=page.continue_token))
