"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), built by FastAPI's
helpers around the copies vendored in static/vendor/ (versions and licences there): nothing is
loaded from a CDN. Like /openapi.json, they are public.

Each page carries inline blocks of FastAPI's making (Swagger UI's start-up ``<script>``, ReDoc's
``<style>``); its Content-Security-Policy allows exactly those blocks, by the hash of their text
taken from the page itself. ReDoc also inserts ``<style>`` elements as it renders and starts its
search in a worker made from a ``blob:`` URL, so /redoc alone allows inline styles and blob
workers (scripts stay strict there too).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from app.web.headers import content_security_policy, source_hash

VENDOR = "vendor"
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)


def with_own_policy(page: HTMLResponse) -> HTMLResponse:
    """``page`` with a policy that allows its own inline blocks, by hash."""
    sources: dict[str, list[str]] = {}
    for tag, text in _INLINE.findall(bytes(page.body).decode()):
        sources.setdefault(f"{tag}-src", []).append(source_hash(text))
    page.headers["content-security-policy"] = content_security_policy(sources)
    return page


def _static(request: Request, path: str) -> str:
    return str(request.app.url_path_for("static", path=f"{VENDOR}/{path}"))


def swagger_ui(request: Request) -> HTMLResponse:
    app: FastAPI = request.app
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url or "",
        title=f"{app.title} - Swagger UI",
        swagger_js_url=_static(request, "swagger-ui/swagger-ui-bundle.js"),
        swagger_css_url=_static(request, "swagger-ui/swagger-ui.css"),
        swagger_favicon_url=_static(request, "swagger-ui/favicon-32x32.png"),
        oauth2_redirect_url=None,  # the API's document declares no OAuth2 flow to sign in with
    )
    return with_own_policy(page)


def redoc(request: Request) -> HTMLResponse:
    app: FastAPI = request.app
    page = get_redoc_html(
        openapi_url=app.openapi_url or "",
        title=f"{app.title} - ReDoc",
        redoc_js_url=_static(request, "redoc/redoc.standalone.js"),
        redoc_favicon_url=_static(request, "swagger-ui/favicon-32x32.png"),
        with_google_fonts=False,
    )
    # The page's own <style> is allowed by 'unsafe-inline' too, not by its hash: beside a hash,
    # browsers ignore 'unsafe-inline' and would refuse ReDoc's styles. Its sidebar's Redocly badge,
    # an <img> from their CDN, stays blocked (ReDoc then hides it).
    page.headers["content-security-policy"] = content_security_policy(
        {"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]}
    )
    return page


PAGES: dict[str, Callable[[Request], HTMLResponse]] = {"/docs": swagger_ui, "/redoc": redoc}


def install(app: FastAPI) -> None:
    """Serve the pages (create the app with ``docs_url=None, redoc_url=None``)."""
    for path, page in PAGES.items():
        app.add_api_route(path, page, methods=["GET"], include_in_schema=False, response_class=HTMLResponse)
