"""Sign-in pages: /login (username and password), /logout, and OpenID Connect
(/login/oidc → the provider → /auth/callback)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accounts import oidc, service, sessions, throttle
from app.accounts.deps import AuthDep, DbSession
from app.accounts.models import User
from app.config import Settings
from app.errors import DomainError, NotFound
from app.web.forms import redirect, refusal
from app.web.templating import templates

router = APIRouter()


def safe_next(value: str | None) -> str:
    """Only a path on this site, else the start page: no scheme or host (``//host``,
    ``/\\host``), no backslash and no control characters (browsers drop tabs and newlines,
    turning ``/<TAB>/host`` into ``//host``; CR/LF would split a header)."""
    if not value or not value.startswith("/") or "\\" in value:
        return "/"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//"):
        return "/"
    return value


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _login_page(request: Request, *, next_path: str, error: str = "", username: str = "",
                status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    settings = _settings(request)
    context = {"next": next_path, "error": error, "username": username,
               "oidc_enabled": oidc.enabled(settings), "oidc_label": settings.oidc_label}
    return templates.TemplateResponse(request, "accounts/login.html", context,
                                      status_code=status_code, headers=headers)


async def _sign_in(request: Request, db: DbSession, auth: AuthDep, user: User, next_path: str) -> Response:
    """A fresh session for ``user`` (ending the one this browser had), then on to ``next_path``."""
    settings = _settings(request)
    old_id = sessions.session_id_from_cookie(settings, request.cookies.get(sessions.COOKIE_NAME))
    await sessions.end(db, old_id)
    await sessions.purge_expired(db, settings)  # abandoned sessions are not kept forever
    session_id, _row = await sessions.start(db, user, client_ip=_client_ip(request))
    await db.commit()
    response = redirect(request, next_path)
    sessions.set_cookie(response, request, settings, session_id)
    return response


@router.get("/login", response_class=HTMLResponse, name="login")
async def login_form(request: Request, auth: AuthDep, next: str = "/") -> Response:
    if auth.user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_path=safe_next(next))


@router.post("/login", response_class=HTMLResponse, name="login_submit")
async def login_submit(
    request: Request, db: DbSession, auth: AuthDep,
    username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = _settings(request)
    next_path = safe_next(next)
    username = username.strip()
    ip = _client_ip(request)
    # The attempt counts as a failure, committed, before the password is checked: parallel
    # guesses each see the others, so at most login_max_failures of them get a check.
    attempt = await throttle.record_attempt(db, settings, username, ip)
    await db.commit()
    try:
        await throttle.check(db, settings, username, ip, pending=1)
    except throttle.LoginThrottled as exc:
        await throttle.forget_attempt(db, attempt)  # a refused attempt is not a failure
        await db.commit()
        refused = refusal(request, exc)
        return _login_page(request, next_path=next_path, error=refused.banner, username=username,
                           status_code=refused.status, headers={"Retry-After": str(exc.retry_after)})
    user = await service.check_credentials(db, username, password) if username and password else None
    if user is None:
        return _login_page(request, next_path=next_path, username=username, status_code=401,
                           error="Invalid username or password, or the account is disabled.")
    await throttle.forget_attempt(db, attempt)
    await throttle.clear_user(db, username, ip)
    return await _sign_in(request, db, auth, user, next_path)


@router.post("/logout", name="logout")
async def logout(request: Request, db: DbSession) -> Response:
    settings = _settings(request)
    cookie = request.cookies.get(sessions.COOKIE_NAME)
    await sessions.end(db, sessions.session_id_from_cookie(settings, cookie))
    await db.commit()
    response = redirect(request, str(request.url_for("login")))
    sessions.clear_cookie(response, request, settings)
    return response


def _oidc_client(request: Request) -> oidc.OidcClient:
    settings = _settings(request)
    if not oidc.enabled(settings):
        raise NotFound("single sign-on is not configured")
    client = getattr(request.app.state, "oidc_client", None)
    if client is None:
        client = request.app.state.oidc_client = oidc.OidcClient(settings)
    return client


@router.get("/login/oidc", name="oidc_login")
async def oidc_login(request: Request, next: str = "/") -> Response:
    settings = _settings(request)
    client = _oidc_client(request)
    url, flow = await client.begin(str(request.url_for("oidc_callback")), safe_next(next))
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(oidc.FLOW_COOKIE, oidc.dump_flow(settings, flow), max_age=oidc.FLOW_MAX_AGE,
                        path="/", httponly=True, samesite="lax",
                        secure=settings.cookie_secure or sessions.is_https(request))
    return response


@router.get("/auth/callback", name="oidc_callback")
async def oidc_callback(request: Request, db: DbSession, auth: AuthDep) -> Response:
    settings = _settings(request)
    client = _oidc_client(request)
    try:
        flow = oidc.load_flow(settings, request.cookies.get(oidc.FLOW_COOKIE))
        redirect_uri = str(request.url_for("oidc_callback"))
        identity = await client.finish(redirect_uri, dict(request.query_params), flow)
        roles, team = oidc.map_groups(settings, identity.groups)
        user = await service.upsert_oidc_user(
            db, subject=identity.subject, username=identity.username, display_name=identity.display_name,
            email=identity.email, team=team, roles=roles)
    except DomainError as exc:
        await db.rollback()
        refused = refusal(request, exc)
        response: Response = _login_page(request, next_path="/", error=refused.banner,
                                         status_code=refused.status)
    else:
        response = await _sign_in(request, db, auth, user, safe_next(flow.get("next")))
    response.delete_cookie(oidc.FLOW_COOKIE, path="/")
    return response
