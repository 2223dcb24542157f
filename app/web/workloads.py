"""The Workloads page: Deployments, StatefulSets, DaemonSets, Jobs and CronJobs of a namespace,
with their pods and the NetworkPolicies that select them (from the watch-fed cache)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.analysis.workloads import workload_sections
from app.policies.lifecycle import terminating_namespaces
from app.web.deps import ClusterDep
from app.web.templating import templates

router = APIRouter()


@router.get("/clusters/{cluster}/workloads", response_class=HTMLResponse, name="workloads")
async def workloads(
    request: Request, cluster: ClusterDep, namespace: str = "", kind: str = ""
) -> HTMLResponse:
    namespaces = sorted(n["metadata"]["name"] for n in cluster.cache.list("namespaces"))
    namespace = namespace or ("default" if "default" in namespaces else (namespaces or [""])[0])
    sections = workload_sections(cluster, namespace)
    kind = kind if kind in {s.kind for s in sections} else ""
    context = {
        "cluster": cluster.name,
        "namespace": namespace,
        "namespaces": namespaces,
        "terminating": terminating_namespaces(cluster.cache.list("namespaces")),
        "sections": sections,
        "kind": kind,
        "nav": "workloads",
        "hx": bool(request.headers.get("HX-Request")),
    }
    return templates.TemplateResponse(request, "workloads/index.html", context)
