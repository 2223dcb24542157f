"""Typed dependencies of the pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request


def get_cluster(request: Request, cluster: str) -> Any:
    """The named cluster (raises app.errors.NotFound for an unknown name)."""
    return request.app.state.clusters.get(cluster)


ClusterDep = Annotated[Any, Depends(get_cluster)]
