"""Liveness and readiness: /healthz answers while the process lives; /readyz when the database
and every cluster's cache are ready (503 otherwise). Anonymous callers (probes) get only
``{"ready": bool}``; signed-in users also get the details (errors name hosts and databases)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.accounts.deps import get_auth
from app.db import ping

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, Any] = {}
    ready = True
    try:
        await ping(request.app.state.engine)
        checks["database"] = {"ready": True}
    except Exception as exc:  # any database failure means not ready; the detail says which
        checks["database"] = {"ready": False, "error": str(exc)}
        ready = False
    clusters = request.app.state.clusters.readiness()
    checks["clusters"] = clusters
    ready = ready and all(c.get("ready") for c in clusters.values())
    status_code = 200 if ready else 503
    if get_auth(request).user is None:
        return JSONResponse({"ready": ready}, status_code=status_code)
    return JSONResponse({"ready": ready, "checks": checks}, status_code=status_code)
