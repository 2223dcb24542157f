"""Typed dependencies of the pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from app.editing.authority import impersonation
from app.editing.service import Writer


def get_cluster(request: Request, cluster: str) -> Any:
    """The named cluster (raises app.errors.NotFound for an unknown name)."""
    return request.app.state.clusters.get(cluster)


ClusterDep = Annotated[Any, Depends(get_cluster)]


def console_writer(request: Request, user: Any) -> Writer:
    """The signed-in user writing through the pages (the editing service's gate and audit)."""
    return Writer(
        user, "console", request.app.state.sessions, impersonation(request.app.state.settings, user)
    )
