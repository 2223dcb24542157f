"""The one Jinja2 environment of the pages, with the language of each request."""

from __future__ import annotations

import json
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.datastructures import URL
from starlette.requests import Request

from app import __version__
from app.accounts.middleware import AUTH_SCOPE_KEY
from app.accounts.sessions import Auth
from app.durations import human_duration
from app.policies.words import Series, Words
from app.web.i18n import LANGUAGES, language, translations
from app.web.wording import say


def _i18n(request: Request) -> dict[str, Any]:
    """The request's language for ``_()`` and ``{% trans %}`` (``jinja2.ext.i18n`` resolves
    ``gettext`` and ``ngettext`` from the context first). ``_()`` also says a ``Words`` sentence."""
    lang = language(request)
    catalog = translations(lang)

    def _(text: str) -> str:
        return say(lang, text) if isinstance(text, (Words, Series)) else catalog.gettext(text)

    return {"_": _, "gettext": catalog.gettext, "ngettext": catalog.ngettext, "lang": lang, "languages": LANGUAGES}


def _cluster_reach(request: Request) -> dict[str, Any]:
    """On a cluster's pages: the kinds the console may not list or watch there, and why; and, while
    the cache cannot reach the API server, the error, so that every page says what it cannot show
    (or that what it shows may be out of date) instead of failing or passing for current."""
    name = request.path_params.get("cluster")
    clusters = getattr(request.app.state, "clusters", None)
    if not name or clusters is None or name not in clusters.names():
        return {"unreadable": {}, "cluster_error": None, "data_age": None, "data_at": None}
    cache = clusters.get(name).cache
    if cache.state != "error":  # the full report (every kind's counts) only when there is an error to tell
        return {"unreadable": cache.unreadable(), "cluster_error": None, "data_age": None, "data_at": None}
    report = cache.readiness()
    # How old what the page shows is: since the failing kinds last heard from the API server.
    failing = [k for k in report["kinds"].values() if k["state"] == "error"]
    ages = [k["staleSeconds"] for k in failing if k["staleSeconds"] is not None]
    age = max(ages) if ages else None
    return {
        "unreadable": report["forbidden"],
        "cluster_error": report["error"],
        "data_age": human_duration(age) if age is not None else None,
        "data_at": datetime.now(UTC) - timedelta(seconds=age) if age is not None else None,
    }


def _chosen_cluster(request: Request) -> dict[str, Any]:
    """The cluster whose pages the left navigation offers: the one in the path, else the one the
    Quota Center or the audit log is filtered by (``?cluster=``), when the console knows it."""
    name = request.path_params.get("cluster") or request.query_params.get("cluster")
    clusters = getattr(request.app.state, "clusters", None)
    known = clusters is not None and name in clusters.names()
    return {"nav_cluster": name if known else None}


def _auth(request: Request) -> dict[str, Any]:
    """The signed-in user, ``current_user``, and ``csrf_token`` (forms post it as the hidden field
    ``csrf_token``; base.html hands it to htmx as a header)."""
    auth = request.scope.get(AUTH_SCOPE_KEY)
    if not isinstance(auth, Auth):
        return {"current_user": None, "csrf_token": ""}
    return {"current_user": auth.user, "csrf_token": auth.csrf_token}


def fmt_time(value: Any) -> str:
    """A timestamp as the pages show it (UTC)."""
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


templates = Jinja2Templates(
    directory=Path(__file__).resolve().parent.parent.parent / "templates",
    context_processors=[_i18n, _cluster_reach, _chosen_cluster, _auth],
)
templates.env.add_extension("jinja2.ext.i18n")
# The templates ship with the code: they are not looked at again (a stat of each template file,
# and of every one it includes, on every render: a tenth of a list page's time under load).
templates.env.auto_reload = False


# Resolving a route name walks the app's routes (about 0.4 ms each in the profile: a list page of
# 50 rows names 180 URLs). The routes are fixed once the app is built, so a URL is remembered by
# the app (its ``state.template_urls``), the request's base URL, the route name and its parameters;
# an app's memo is emptied when it grows past URL_MEMO_SIZE.
URL_MEMO_SIZE = 20_000


@pass_context
def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
    """Starlette's ``url_for`` for templates, remembered (see above)."""
    request: Request = context["request"]
    state = request.app.state
    memo: dict[Hashable, URL] | None = getattr(state, "template_urls", None)
    if memo is None:
        memo = state.template_urls = {}
    try:
        key = (str(request.base_url), name, tuple(sorted(path_params.items())))
        found = memo.get(key)
    except TypeError:  # an unhashable parameter: not remembered
        return request.url_for(name, **path_params)
    if found is None:
        if len(memo) >= URL_MEMO_SIZE:
            memo.clear()
        found = memo[key] = request.url_for(name, **path_params)
    return found


templates.env.globals["url_for"] = url_for

# Rendered fragments, per app (``state.template_fragments``), by template, language, base URL and
# the caller's key; emptied when it grows past FRAGMENT_MEMO_SIZE.
FRAGMENT_MEMO_SIZE = 512


@pass_context
def cached_include(context: Context, name: str, key: Hashable) -> Markup:
    """``{% include name %}``, rendered once for each ``key``: the caller's key must name all that
    the fragment shows apart from the language and the base URL (for a list from the cluster's
    cache, the cache version it was built at, and what the request chose)."""
    request: Request = context["request"]
    state = request.app.state
    memo: dict[Hashable, Markup] | None = getattr(state, "template_fragments", None)
    if memo is None:
        memo = state.template_fragments = {}
    full = (name, context.get("lang"), str(request.base_url), key)
    found = memo.get(full)
    if found is None:
        found = Markup(context.environment.get_template(name).render(context.get_all()))
        if len(memo) >= FRAGMENT_MEMO_SIZE:
            memo.clear()
        memo[full] = found
    return found


templates.env.globals["cached_include"] = cached_include
templates.env.globals["version"] = __version__
templates.env.globals["fmt_time"] = fmt_time


def json_attr(value: Any) -> str:
    """JSON for an HTML attribute value. A plain string, so autoescaping turns its quotes into
    entities (Jinja's ``tojson`` is marked safe and would end a double-quoted attribute)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


templates.env.filters["json_attr"] = json_attr
