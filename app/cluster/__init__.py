"""The clusters: the only package that imports kubernetes_asyncio.

``ClusterRegistry`` says which clusters exist; a ``Cluster`` makes every Kubernetes call and
returns plain dicts or ``NetworkPolicy`` objects; ``cluster.cache`` is its watch-fed copy of the
objects the console shows, read as typed records (records.py). ``deps.ready_cluster`` is the one
readiness check of pages and API. Client-library errors leave this package as app.errors (see
errors.py).
"""

from __future__ import annotations

from app.cluster.cache import SCOPES, ClusterCache
from app.cluster.client import Cluster, WatchEvent, WriteResult
from app.cluster.errors import Expired
from app.cluster.records import NamespaceRecord, ObjectRecord, PodRecord, Record, WorkloadRecord
from app.cluster.registry import IN_CLUSTER, ClusterRegistry
from app.cluster.resources import RESOURCES, WORKLOAD_KINDS, Resource, resource

__all__ = [
    "IN_CLUSTER",
    "RESOURCES",
    "SCOPES",
    "WORKLOAD_KINDS",
    "Cluster",
    "ClusterCache",
    "ClusterRegistry",
    "Expired",
    "NamespaceRecord",
    "ObjectRecord",
    "PodRecord",
    "Record",
    "Resource",
    "WatchEvent",
    "WorkloadRecord",
    "WriteResult",
    "resource",
]
