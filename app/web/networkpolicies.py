"""The Network Policies page: the list (live from the watch-fed cache), and the message that a
policy was created, updated or deleted.

Every write that ends on the list redirects to ``list_url(..., done=, name=)``; the list then says
what was done in a ``role="status"`` message (``app.web.forms.done_url`` and ``notice``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from datetime import UTC, datetime
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.accounts.deps import CurrentUser
from app.analysis.lints import lint_stored
from app.cluster import Cluster, ClusterCache
from app.editing import service as editing
from app.policies.lifecycle import terminating_namespaces
from app.policies.lint import TOO_MANY_POLICIES, Lint
from app.policies.listing import RECOMMENDED_MAXIMUM, SORT_KEYS, PolicyRow, arrange_rows, build_rows
from app.policies.model import NetworkPolicy
from app.policies.words import N_
from app.web.deps import ClusterDep, console_writer
from app.web.forms import done_url, notice, render
from app.web.templating import templates

router = APIRouter()

LONG_POLL_SECONDS = 25.0
# What the list shows depends on these kinds only; changes elsewhere do not wake its long polls.
LIST_KINDS = ("networkpolicies", "pods", "namespaces")


# What the list says after each write (``?done=``).
DONE = {
    "created": N_("Network policy {name} was created."),
    "updated": N_("Network policy {name} was updated."),
    "deleted": N_("Network policy {name} was deleted."),
    "restored": N_("Network policy {name} was restored."),
}


def list_url(request: Request, cluster: str, namespace: str, *, done: str = "", name: str = "") -> str:
    """The list of ``namespace``; with ``done`` (one of DONE) and ``name``, it says so at the top."""
    url = f"{request.url_for('networkpolicies', cluster=cluster)}?{urlencode({'namespace': namespace})}"
    return done_url(url, done, name) if done in DONE and name else url


def list_version(cache: ClusterCache) -> int:
    """The cache version at the last change of a kind the list shows."""
    return max(cache.kind_version(kind) for kind in LIST_KINDS)


def _namespaces(cluster: ClusterDep) -> list[str]:
    return cluster.cache.namespace_names()


async def _list_context(request: Request, cluster: ClusterDep, user: CurrentUser) -> dict[str, object]:
    context = list_context(request, cluster, None)
    # Asked for the namespace shown: a team may write in some namespaces only.
    context["read_only"] = await editing.refusal(cluster, console_writer(request, user), str(context["namespace"]))
    return context


def row_lints(cluster: Cluster, policies: list[NetworkPolicy]) -> dict[str, list[Lint]]:
    """The lints marked on the rows; "too many policies" is said once, above the list."""
    found = lint_stored(cluster, policies)
    return {ref: [f for f in each if f.rule is not TOO_MANY_POLICIES] for ref, each in found.items()}


# The rows of each namespace, with what they were built from (``rows_key``): built once, not per
# request, and again on the first request after the cache has a change they depend on.
ROWS_MEMO = 1024  # namespaces remembered per cache
_rows: WeakKeyDictionary[ClusterCache, dict[str, tuple[Hashable, list[PolicyRow]]]] = WeakKeyDictionary()


def rows_key(cache: ClusterCache, namespace: str) -> Hashable:
    """What the rows of ``namespace`` are built from: its policies (each at its resourceVersion)
    and the version of every other kind the cache holds (pods and namespaces for the counts; with
    Services and the enforcement facts, for the lints). A policy of another namespace does not
    count: the lints marked on rows judge a policy against pods and namespaces, and the one about
    the cluster's number of policies is said above the list, not on rows."""
    kinds = tuple(cache.kind_version(s.kind) for s in cache.scopes if s.kind != "networkpolicies")
    mine = sorted((p.name, p.metadata.resource_version or "") for p in cache.network_policies(namespace))
    return kinds, tuple(mine)


def namespace_rows(cluster: Cluster, namespace: str) -> tuple[Hashable, list[PolicyRow]]:
    """``build_rows`` of ``namespace`` and its ``rows_key`` (remembered while the key holds)."""
    cache = cluster.cache
    key = rows_key(cache, namespace)
    held = _rows.setdefault(cache, {})
    found = held.get(namespace)
    if found is None or found[0] != key:
        if len(held) >= ROWS_MEMO:  # any name may be asked for
            held.clear()
        policies = cache.network_policies(namespace)
        found = held[namespace] = (key, build_rows(policies, cache.pods(namespace), lints=row_lints(cluster, policies)))
    return found


# The rows as last shown for each namespace, filter and order, with the second they were aged at:
# under load most requests of a second find them (the ages are whole seconds, as kubectl's).
_arranged: WeakKeyDictionary[ClusterCache, dict[Hashable, tuple[Hashable, datetime, list[PolicyRow]]]] = (
    WeakKeyDictionary()
)


def arranged_rows(
    cluster: Cluster, namespace: str, name_filter: str, sort: str, descending: bool
) -> tuple[Hashable, list[PolicyRow]]:
    """``arrange_rows`` of ``namespace_rows`` now, with the rows' key."""
    key, built = namespace_rows(cluster, namespace)
    now = datetime.now(UTC).replace(microsecond=0)
    held = _arranged.setdefault(cluster.cache, {})
    chosen = (namespace, name_filter, sort, descending)
    found = held.get(chosen)
    if found is None or found[0] != key or found[1] != now:
        if len(held) >= ROWS_MEMO:
            held.clear()
        found = held[chosen] = (key, now, arrange_rows(built, now=now, name_filter=name_filter, sort=sort,
                                                      descending=descending))  # fmt: skip
    return key, found[2]


def list_context(
    request: Request, cluster: Cluster, read_only: object, namespace: str = ""
) -> dict[str, object]:
    """What the list page shows (of ``namespace``, else the one asked for, else default); the
    Create / Edit panel is drawn over it. ``read_only``: why the user may not write, or None."""
    q = request.query_params
    namespaces = _namespaces(cluster)
    namespace = namespace or q.get("namespace") or ("default" if "default" in namespaces else (namespaces or [""])[0])
    sort = q.get("sort", "name")
    sort = sort if sort in SORT_KEYS else "name"
    descending = q.get("dir") == "desc"
    name_filter = q.get("q", "")
    key, rows = arranged_rows(cluster, namespace, name_filter, sort, descending)
    total = cluster.cache.policy_count()
    return {
        "notice": notice(request, DONE),
        "cluster": cluster.name,
        "namespaces": namespaces,
        "namespace": namespace,
        "terminating": terminating_namespaces(cluster.cache.namespaces()),
        "rows": rows,
        "q": name_filter,
        "sort": sort,
        "dir": "desc" if descending else "asc",
        "total": total,
        "too_many": total >= RECOMMENDED_MAXIMUM,
        "enforcement": cluster.cache.enforcement(),
        "recommended_maximum": RECOMMENDED_MAXIMUM,
        "version": list_version(cluster.cache),
        # the keys of the fragments the page renders once (app.web.templating.cached_include)
        "rows_version": (list_version(cluster.cache), key),
        "namespaces_version": cluster.cache.kind_version("namespaces"),
        "nav": "networkpolicies",
        "read_only": read_only,
    }


@router.get("/clusters/{cluster}", name="cluster")
async def cluster_home(request: Request, cluster: ClusterDep) -> RedirectResponse:
    return RedirectResponse(request.url_for("networkpolicies", cluster=cluster.name), status_code=303)


@router.get("/clusters/{cluster}/networkpolicies", response_class=HTMLResponse, name="networkpolicies")
async def list_page(request: Request, cluster: ClusterDep, user: CurrentUser) -> HTMLResponse:
    context = await _list_context(request, cluster, user)
    return render(request, "networkpolicies/index.html", context, fragment="networkpolicies/_table.html")


@router.get("/clusters/{cluster}/networkpolicies/rows", response_class=HTMLResponse, name="networkpolicy-rows")
async def rows_fragment(
    request: Request, cluster: ClusterDep, user: CurrentUser, since: int | None = None
) -> HTMLResponse:
    """The table body; with ``since``, held until what the list shows changes (long polling keeps
    the list live) or LONG_POLL_SECONDS pass."""
    if since is not None:
        cache = cluster.cache
        deadline = asyncio.get_running_loop().time() + LONG_POLL_SECONDS
        while list_version(cache) <= since:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            await cache.wait_changed(cache.version, left)
    return templates.TemplateResponse(
        request, "networkpolicies/_rows.html", await _list_context(request, cluster, user)
    )
