"""Typed dependencies of the pages.

``ClusterDep`` is the path's cluster, checked by app/cluster/deps.py (the check the REST API
uses too) for what every cluster page reads, its namespaces and NetworkPolicies: an unknown
cluster, a kind the console may not read and a cluster never synced end in the error page
(app/web/errors.py); a cluster synced once but unreachable now is served as last known, under the
banner that says so.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from app.accounts.deps import get_auth
from app.cluster.client import Cluster, Impersonation
from app.cluster.deps import reading
from app.editing.authority import impersonation
from app.editing.service import Writer

PAGE_KINDS = ("namespaces", "networkpolicies")

ClusterDep = Annotated[Cluster, Depends(reading(*PAGE_KINDS, stale_ok=True))]


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
