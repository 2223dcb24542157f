"""The console's pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts.deps import role_required
from app.accounts.models import User
from app.cluster.terway import switch_consequences
from app.durations import human_duration
from app.editing import switch
from app.errors import DomainError
from app.policies.words import N_
from app.web.accounts import safe_next
from app.web.deps import ClusterDep, console_writer
from app.web.forms import done_url, notice, redirect, refusal, render
from app.web.i18n import LANGUAGES
from app.web.templating import templates

router = APIRouter()

AdminUser = Annotated[User, Depends(role_required("admin"))]
# The Overview's success messages (app/web/forms.py: done_url / notice).
DONE = {
    "on": N_("Network policies were turned on for cluster {name}."),
    "off": N_("Network policies were turned off for cluster {name}."),
}


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
    context = {"cluster": cluster.name, "enforcement": cluster.cache.enforcement(), "nav": "cluster-overview",
               "notice": notice(request, DONE)}  # fmt: skip
    return render(request, "clusters/overview.html", context)


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
    request: Request, cluster: ClusterDep, admin: AdminUser, enable: Annotated[bool, Form()]
) -> Response:
    """Set eni-config's disable_network_policy (app/editing/switch.py), then the Overview says so."""
    try:
        await switch.set_enforcement(cluster, enable, writer=console_writer(request, admin))
    except DomainError as exc:
        refused = refusal(request, exc)
        context = _switch_context(cluster, enable, refused.banner)
        return render(request, "clusters/switch.html", context, status_code=refused.status)
    overview = str(request.url_for("cluster-overview", cluster=cluster.name))
    return redirect(request, done_url(overview, "on" if enable else "off", cluster.name))


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
