"""Typed dependencies of the pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from app.accounts.deps import get_auth
from app.cluster.client import Impersonation
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


def as_person(request: Request) -> Impersonation | None:
    """Whom a live read made for the signed-in person is made as (None: as the console), so
    that with NETPOL_IMPERSONATE the cluster's RBAC decides reads as it decides writes."""
    user = get_auth(request).user
    return impersonation(request.app.state.settings, user) if user is not None else None
