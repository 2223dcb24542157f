"""Read routes over a cluster's cache: clusters, namespaces, workloads, pods."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.api import paging
from app.api.auth import CallerDep
from app.api.common import cluster_of, require_namespace, synced
from app.api.paging import ContinueQuery, LimitQuery
from app.api.schemas import ClusterDetail, ClusterInfo, ClusterList, ListMeta, ObjectList, WorkloadKind
from app.cluster import WORKLOAD_KINDS
from app.cluster.resources import resource
from app.policies.selectors import parse_label_selector, requirements_match
from app.policies.workloads import labels_of

router = APIRouter(tags=["clusters"])

KindQuery = Annotated[WorkloadKind | None, Query(description="Only this kind")]
SelectorQuery = Annotated[str, Query(description="e.g. `app=web,tier in (a,b)`")]


def _info(cluster: Any) -> dict[str, Any]:
    readiness = cluster.cache.readiness()
    count = len(cluster.cache.network_policies()) if cluster.cache.readable("networkpolicies") else None
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


@router.get("/clusters/{cluster}", response_model=ClusterDetail, summary="One cluster and its readiness")
async def get_cluster(request: Request, cluster: str, caller: CallerDep) -> ClusterDetail:
    c = cluster_of(request, cluster)
    terway = None
    config = c.cache.terway_config()
    if config is not None:
        data = config.get("data") or {}
        terway = {k: data[k] for k in ("disable_network_policy",) if k in data}
    return ClusterDetail(**_info(c), terway=terway)


def _page(objects: list[dict[str, Any]], what: str, limit: int | None, token: str | None) -> ObjectList:
    def key(o: dict[str, Any]) -> list[str]:
        meta = o.get("metadata") or {}
        return [str(o.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or "")]

    items, more = paging.page(objects, key, what, limit, token)
    return ObjectList(items=items, metadata=ListMeta(continue_=more))


@router.get("/clusters/{cluster}/namespaces", response_model=ObjectList, summary="Namespaces")
async def list_namespaces(
    request: Request,
    cluster: str,
    caller: CallerDep,
    limit: LimitQuery = None,
    continue_: ContinueQuery = None,
) -> ObjectList:
    c = await synced(request, cluster, "namespaces")
    return _page(c.cache.list("namespaces"), f"{cluster}/namespaces", limit, continue_)


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
    c = await synced(request, cluster, "namespaces", *(resource(k).plural for k in kinds))
    require_namespace(c, namespace)
    objects: list[dict[str, Any]] = []
    for k in kinds:
        # the cache keeps the API server's list items, which may lack kind: add it
        objects.extend({"kind": k, **o} if "kind" not in o else o for o in c.cache.list(k, namespace))
    return _page(objects, f"{cluster}/{namespace}/workloads/{kind or ''}", limit, continue_)


@router.get(
    "/clusters/{cluster}/namespaces/{namespace}/pods",
    response_model=ObjectList,
    summary="Pods of a namespace, optionally filtered by a label selector",
)
async def list_pods(
    request: Request,
    cluster: str,
    namespace: str,
    caller: CallerDep,
    labelSelector: SelectorQuery = "",
    limit: LimitQuery = None,
    continue_: ContinueQuery = None,
) -> ObjectList:
    c = await synced(request, cluster, "namespaces", "pods")
    require_namespace(c, namespace)
    reqs = parse_label_selector(labelSelector)
    pods = [p for p in c.cache.list("pods", namespace) if requirements_match(reqs, labels_of(p))]
    return _page(pods, f"{cluster}/{namespace}/pods/{labelSelector}", limit, continue_)
