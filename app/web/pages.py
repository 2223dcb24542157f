"""The console's pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.accounts.deps import DbSession, role_required
from app.accounts.models import User
from app.audit import service as audit
from app.cluster.cache import TERWAY_CONFIGMAP, TERWAY_NAMESPACE
from app.cluster.terway import switch_consequences, switch_patch
from app.durations import human_duration
from app.errors import DomainError
from app.web.accounts import safe_next
from app.web.deps import ClusterDep
from app.web.i18n import LANGUAGES
from app.web.templating import templates

router = APIRouter()

AdminUser = Annotated[User, Depends(role_required("admin"))]


@router.get("/", response_class=HTMLResponse, name="clusters")
async def clusters(request: Request) -> HTMLResponse:
    registry = request.app.state.clusters
    readiness = registry.readiness()
    rows = [
        {
            "name": name,
            **readiness.get(name, {}),
            "stale": _stale(readiness.get(name, {})),
            "enforcement": registry.get(name).cache.enforcement(),
        }
        for name in registry.names()
    ]
    return templates.TemplateResponse(request, "clusters/index.html", {"clusters": rows, "nav": "clusters"})


@router.get("/clusters/{cluster}/overview", response_class=HTMLResponse, name="cluster-overview")
async def cluster_overview(request: Request, cluster: ClusterDep) -> HTMLResponse:
    """The cluster's overview: whether, how and where network policies are enforced."""
    context = {"cluster": cluster.name, "enforcement": cluster.cache.enforcement(), "nav": "cluster-overview"}
    return templates.TemplateResponse(request, "clusters/overview.html", context)


def _switch_context(cluster: ClusterDep, enable: bool, error: str | None = None) -> dict[str, Any]:
    current = cluster.cache.enforcement()
    return {
        "cluster": cluster.name,
        "enable": enable,
        "enforcement": current,
        "consequences": switch_consequences(current, enable),
        "error": error,
        "nav": "cluster-overview",
    }


@router.get("/clusters/{cluster}/network-policy-switch", response_class=HTMLResponse, name="network-policy-switch")
async def switch_review(request: Request, cluster: ClusterDep, admin: AdminUser, enable: bool = True) -> HTMLResponse:
    """The review step of turning network policies on or off: what it does, in words."""
    return templates.TemplateResponse(request, "clusters/switch.html", _switch_context(cluster, enable))


@router.post("/clusters/{cluster}/network-policy-switch", response_model=None)
async def switch_apply(
    request: Request, cluster: ClusterDep, admin: AdminUser, db: DbSession, enable: Annotated[bool, Form()]
) -> HTMLResponse | RedirectResponse:
    """Set eni-config's disable_network_policy through the API server (a merge patch), audited."""
    before = {"data": {"disable_network_policy": (cluster.cache.terway_config() or {}).get("disable_network_policy")}}
    patch = switch_patch(enable)
    action = "networkpolicy.enable" if enable else "networkpolicy.disable"
    where = (cluster.name, TERWAY_NAMESPACE, "ConfigMap", TERWAY_CONFIGMAP, action)
    try:
        await cluster.patch("configmaps", TERWAY_NAMESPACE, TERWAY_CONFIGMAP, patch)
    except DomainError as exc:
        await db.rollback()
        await audit.record_detached(request.app.state.sessions, admin.username, "console", *where, "failure",
                                    before, patch, exc.message)  # fmt: skip
        context = _switch_context(cluster, enable, exc.message)
        return templates.TemplateResponse(request, "clusters/switch.html", context, status_code=exc.status_code)
    await audit.record(db, admin.username, "console", *where, "success", before, patch)
    await db.commit()
    return RedirectResponse(request.url_for("cluster-overview", cluster=cluster.name), status_code=303)


def _stale(report: dict[str, Any]) -> str | None:
    """How long since the stalest synced kind last heard from the API server (event, bookmark
    or list), as ``human_duration`` says it ("12s"; the page translates it)."""
    ages = [k["staleSeconds"] for k in (report.get("kinds") or {}).values() if k.get("staleSeconds") is not None]
    return human_duration(max(ages)) if ages else None


@router.get("/language", name="language")
async def language(request: Request, lang: str = "en", next: str = "/") -> RedirectResponse:
    """Switch the console's language (a cookie), then go back where the user was."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
