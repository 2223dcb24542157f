"""Read routes over a cluster's cache: clusters, workloads, pods (namespaces: app/api/namespaces.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.api import paging
from app.api.auth import CallerDep
from app.api.common import KnownCluster, PodCluster, require_namespace
from app.api.paging import ContinueQuery, LimitQuery
from app.api.schemas import (
    ClusterDetail,
    ClusterInfo,
    ClusterList,
    ListMeta,
    NetworkPolicyEnforcement,
    ObjectList,
    WorkloadKind,
)
from app.cluster import WORKLOAD_KINDS
from app.cluster.client import Cluster
from app.cluster.deps import ready_cluster
from app.cluster.records import Record
from app.cluster.resources import resource
from app.policies.selectors import parse_label_selector, requirements_match

router = APIRouter(tags=["clusters"])

KindQuery = Annotated[WorkloadKind | None, Query(description="Only this kind")]
SelectorQuery = Annotated[str, Query(description="e.g. `app=web,tier in (a,b)`")]


def _info(cluster: Cluster) -> dict[str, Any]:
    readiness = cluster.cache.readiness()
    count = cluster.cache.policy_count() if cluster.cache.readable("networkpolicies") else None
    return {
        "name": cluster.name,
        "ready": readiness["ready"],
        "state": readiness["state"],
        "error": readiness["error"],
        "forbidden": readiness["forbidden"],
        "networkPolicies": count,
        "kinds": readiness["kinds"],
    }


@router.get("/clusters", response_model=ClusterList, summary="The clusters the console manages")
async def list_clusters(request: Request, caller: CallerDep) -> ClusterList:
    return ClusterList(items=[ClusterInfo(**_info(c)) for c in request.app.state.clusters])


@router.get(
    "/clusters/{cluster}",
    response_model=ClusterDetail,
    summary="One cluster, its readiness and its NetworkPolicy enforcement",
)
async def get_cluster(caller: CallerDep, c: KnownCluster) -> ClusterDetail:
    return ClusterDetail(**_info(c), networkPolicy=NetworkPolicyEnforcement(**c.cache.enforcement().as_dict()))


def _page(records: list[Record], what: str, limit: int | None, token: str | None) -> ObjectList:
    """A page of the records' objects as the API server gave them."""
    items, more = paging.page(records, lambda r: [r.kind, r.namespace, r.name], what, limit, token)
    return ObjectList(items=[dict(r.object) for r in items], metadata=ListMeta(continue_=more))


@router.get(
    "/clusters/{cluster}/namespaces/{namespace}/workloads",
    response_model=ObjectList,
    summary="Workloads (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs) of a namespace",
)
async def list_workloads(
    request: Request,
    cluster: str,
    namespace: str,
    caller: CallerDep,
    kind: KindQuery = None,
    limit: LimitQuery = None,
    continue_: ContinueQuery = None,
) -> ObjectList:
    kinds = [kind] if kind else list(WORKLOAD_KINDS)
    # The kinds read depend on the query, so the route asks the check itself.
    plurals = tuple(resource(k).plural for k in kinds)
    c = await ready_cluster(request.app.state.clusters, cluster, ("namespaces", *plurals))
    require_namespace(c, namespace)
    records: list[Record] = [w for k in plurals for w in c.cache.workloads(k, namespace)]
    return _page(records, f"{cluster}/{namespace}/workloads/{kind or ''}", limit, continue_)


@router.get(
    "/clusters/{cluster}/namespaces/{namespace}/pods",
    response_model=ObjectList,
    summary="Pods of a namespace, optionally filtered by a label selector",
)
async def list_pods(
    namespace: str,
    caller: CallerDep,
    c: PodCluster,
    labelSelector: SelectorQuery = "",
    limit: LimitQuery = None,
    continue_: ContinueQuery = None,
) -> ObjectList:
    require_namespace(c, namespace)
    reqs = parse_label_selector(labelSelector)
    pods: list[Record] = [p for p in c.cache.pods(namespace) if requirements_match(reqs, p.labels)]
    return _page(pods, f"{c.name}/{namespace}/pods/{labelSelector}", limit, continue_)
