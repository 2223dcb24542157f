"""Who is asking, whether they may, and CSRF — for every HTTP request, before any route runs.

- The session cookie is resolved to a user (``scope["netpol.auth"]``, read by ``app.accounts.deps``).
- Every page except the public ones needs a signed-in user: HTML requests are redirected to
  ``/login?next=...``, htmx requests get ``HX-Redirect``. Paths under ``/api/`` are left to the
  API, which authenticates ``Authorization: Bearer`` (or the session) and answers 401 itself.
- Every POST/PUT/PATCH/DELETE made with a session cookie must carry the session's CSRF token in
  the ``X-CSRF-Token`` header or the form field ``csrf_token``; otherwise 403. Bearer requests
  carry no ambient credentials, so they need none.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import Message, Receive, Scope, Send

from app.accounts import sessions
from app.accounts.sessions import Auth
from app.asgi import HttpMiddleware
from app.db import reading

AUTH_SCOPE_KEY = "netpol.auth"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
PUBLIC_PATHS = frozenset({
    "/login", "/login/oidc", "/auth/callback", "/healthz", "/readyz", "/favicon.ico", "/language",
    "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json",
    "/metrics",  # its own check: the metrics token, or loopback (app/web/metrics.py)
})
PUBLIC_PREFIXES = ("/static/",)
# Posting the login form needs no session (there is none yet), so no token: instead a POST the
# browser marks as cross-site (``Origin`` of another site, or ``Sec-Fetch-Site: cross-site``) is
# refused, so no other site can sign a visitor in to an account of its choosing.
CSRF_EXEMPT = frozenset({"/login"})
API_PREFIX = "/api/"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class AuthMiddleware(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["app"].state
        settings = state.settings
        headers = Headers(scope=scope)
        path: str = scope["path"]
        # Only the API takes bearer tokens; elsewhere the header is ignored, so a page that forgot
        # its dependency is still behind the login.
        api = path.startswith(API_PREFIX)
        auth = Auth(bearer=api and headers.get("authorization", "").lower().startswith("bearer "))
        session_id = None
        if not auth.bearer:
            session_id = sessions.session_id_from_cookie(settings, Request(scope).cookies.get(
                sessions.COOKIE_NAME))
        if session_id:
            # a read with no BEGIN/COMMIT round trips; a touch or a delete is committed at once
            async with reading(state.sessions) as db:
                loaded = await sessions.load(db, settings, session_id)
                await sessions.commit_changes(db)
            if loaded is not None:
                auth.session, auth.user = loaded
        scope[AUTH_SCOPE_KEY] = auth

        if not (is_public(path) or api or auth.user is not None):
            await _login_required(scope, headers)(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS and path in CSRF_EXEMPT and _cross_site(scope, headers):
            await _cross_site_refused(headers)(scope, receive, send)
            return
        if scope["method"] in SAFE_METHODS or auth.bearer or path in CSRF_EXEMPT:
            await self.app(scope, receive, send)
            return
        token = headers.get("x-csrf-token")
        if token is None and headers.get("content-type", "").startswith(FORM_TYPES):
            token, receive = await _form_token(scope, receive)
        if auth.session is not None and not sessions.csrf_matches(auth.session, token):
            await _csrf_refused(headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _login_required(scope: Scope, headers: Headers) -> Response:
    query = scope["query_string"].decode("latin-1")
    target = scope["path"] + (f"?{query}" if query else "")
    if scope["method"] not in SAFE_METHODS:
        target = "/"
    location = "/login?next=" + quote(target, safe="/")
    if headers.get("hx-request"):
        return PlainTextResponse("Sign in first.", status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_key(scheme: str, host: str, port: int | None) -> tuple[str, str, int | None]:
    scheme = scheme.lower()
    return scheme, host.lower(), port if port is not None else _DEFAULT_PORTS.get(scheme)


def _cross_site(scope: Scope, headers: Headers) -> bool:
    """Whether the browser says this request came from another site: ``Sec-Fetch-Site:
    cross-site``, or an ``Origin`` whose scheme, host and port differ from this request's own.
    Requests without those headers (non-browser clients, old browsers) are not refused."""
    if headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    try:
        theirs = urlsplit(origin.strip())
        their_key = _origin_key(theirs.scheme, theirs.hostname or "", theirs.port)
    except ValueError:  # "null" parses, a bad port does not: either way, not this site
        return True
    own = Request(scope).url
    try:
        own_key = _origin_key(own.scheme, own.hostname or "", own.port)
    except ValueError:
        return True
    return not theirs.netloc or their_key != own_key


def _cross_site_refused(headers: Headers) -> Response:
    message = "Sign-in refused: the form was posted from another site (cross-origin request)."
    if "text/html" in headers.get("accept", "") and not headers.get("hx-request"):
        return HTMLResponse(f"<!doctype html><title>Forbidden</title><p>{message}</p>", status_code=403)
    return PlainTextResponse(message, status_code=403)


def _csrf_refused(headers: Headers) -> Response:
    message = "The form has expired or did not come from this console (CSRF check failed). Reload the page."
    if "text/html" in headers.get("accept", "") and not headers.get("hx-request"):
        return HTMLResponse(f"<!doctype html><title>Forbidden</title><p>{message}</p>", status_code=403)
    return PlainTextResponse(message, status_code=403)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` (already read) once, then waits on the client's own (for
    its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _form_token(scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
    """Read the ``csrf_token`` form field, then give the route a ``receive`` replaying the body."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replay = replaying(body, receive)

    async def parse_receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    token: Any = None
    try:
        form = await Request(scope, parse_receive).form()
        token = form.get("csrf_token")
        await form.close()
    except Exception:  # a malformed body: no token; the route will report the body itself
        token = None
    return (token if isinstance(token, str) else None), replay
