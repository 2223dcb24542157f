"""The administration pages (/admin/users, /admin/users/{name}, /admin/settings; role admin) and
each user's own page (/account: who they are, their API tokens).

Every change is audited here, in the same transaction as the change (``app.accounts.service``
does not audit): kind ``User``, actions ``user.create`` / ``user.update`` / ``user.disable`` /
``user.enable`` / ``user.password``, before and after as ``user_dict`` (never a password hash).
Token and setting changes are audited by ``app.accounts.tokens`` and
``app.whitelist.service.set_api_gated`` themselves. A refused change (not a mere invalid form)
is recorded as a ``failure`` in a transaction of its own.

A password chosen by the console and a new API token are shown once, in the answer to the POST
that made them (never redirected to, never stored in plain text).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service, tokens
from app.accounts.deps import CurrentUser, DbSession, role_required
from app.accounts.models import ROLES, User
from app.accounts.service import user_dict
from app.audit import service as audit
from app.audit.web import fmt_time
from app.errors import DomainError, Forbidden, Invalid, NotFound
from app.web.templating import templates
from app.whitelist.service import api_gated, set_api_gated

router = APIRouter()

KIND = "User"
AdminUser = Annotated[User, Depends(role_required("admin"))]
# What the token form offers; "" is "never expires".
EXPIRY_CHOICES = (("30d", "30 days"), ("90d", "90 days"), ("365d", "1 year"), ("", "Never"))


def _causes(error: DomainError | None) -> dict[str, str]:
    return {c.field: c.message for c in error.causes} if isinstance(error, Invalid) else {}


def _go(request: Request, location: str) -> Response:
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Location": location})
    return RedirectResponse(location, status_code=303)


async def _refused(request: Request, actor: str, name: str, action: str, exc: DomainError,
                   before: dict[str, Any] | None = None) -> None:
    """Audit a refused change; the request's transaction must be rolled back already."""
    if isinstance(exc, Invalid):
        return
    await audit.record_detached(request.app.state.sessions, actor, "console", "", "", KIND, name,
                                action, "failure", before, None, exc.message)


# ------------------------------------------------------------------------------------ user list


async def _users_page(
    request: Request, db: AsyncSession, *, status_code: int = 200, error: DomainError | None = None,
    form: dict[str, Any] | None = None, created: User | None = None, secret: str = "",
) -> HTMLResponse:
    context = {
        "users": await service.list_users(db),
        "roles": ROLES,
        "error": error,
        "causes": _causes(error),
        "form": form or {"username": "", "display_name": "", "team": "", "roles": ["viewer"], "password": ""},
        "created": created,
        "secret": secret,
        "fmt_time": fmt_time,
        "nav": "admin-users",
    }
    return templates.TemplateResponse(request, "admin/users.html", context, status_code=status_code)


@router.get("/admin/users", response_class=HTMLResponse, name="admin-users")
async def users_page(request: Request, db: DbSession, admin: AdminUser) -> HTMLResponse:
    return await _users_page(request, db)


@router.post("/admin/users", response_class=HTMLResponse, name="admin-user-create")
async def create_user(
    request: Request, db: DbSession, admin: AdminUser,
    username: Annotated[str, Form()] = "", display_name: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
    roles: Annotated[list[str] | None, Form()] = None,
) -> HTMLResponse:
    username, team = username.strip(), team.strip()
    role_list = roles or []
    generated = not password
    secret = password or service.generate_password()
    form = {"username": username, "display_name": display_name, "team": team, "roles": role_list,
            "password": ""}
    try:
        user = await service.create_user(db, username, team=team, roles=role_list, password=secret,
                                         display_name=display_name.strip())
        await audit.record(db, admin.username, "console", "", "", KIND, user.username, "user.create",
                           "success", None, user_dict(user))
        await db.commit()
    except DomainError as exc:
        await db.rollback()
        await _refused(request, admin.username, username, "user.create", exc)
        return await _users_page(request, db, status_code=exc.status_code, error=exc, form=form)
    # Only a generated password is shown: the admin knows the one they typed.
    response = await _users_page(request, db, status_code=201, created=user,
                                 secret=secret if generated else "")
    return _no_store(response) if generated else response


def _no_store(response: HTMLResponse) -> HTMLResponse:
    """A page showing a one-time secret: no cache (browser or proxy) may keep it."""
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------------------------- one user


async def _user_page(
    request: Request, db: AsyncSession, admin: User, username: str, *, status_code: int = 200,
    error: DomainError | None = None, notice: str = "", secret: str = "",
) -> HTMLResponse:
    user = await service.get_user(db, username)
    context = {
        "user": user,
        "roles": ROLES,
        "is_self": user.username == admin.username,
        "error": error,
        "causes": _causes(error),
        "notice": notice,
        "secret": secret,
        "fmt_time": fmt_time,
        "nav": "admin-users",
    }
    return templates.TemplateResponse(request, "admin/user.html", context, status_code=status_code)


@router.get("/admin/users/{username}", response_class=HTMLResponse, name="admin-user")
async def user_page(request: Request, db: DbSession, admin: AdminUser, username: str) -> HTMLResponse:
    notice = {"updated": "The user was updated.", "disabled": "The user was disabled.",
              "enabled": "The user was enabled."}.get(request.query_params.get("done", ""), "")
    return await _user_page(request, db, admin, username, notice=notice)


def _user_url(request: Request, username: str, done: str) -> str:
    return f"{request.url_for('admin-user', username=username)}?done={done}"


@router.post("/admin/users/{username}", response_class=HTMLResponse, name="admin-user-update")
async def update_user(
    request: Request, db: DbSession, admin: AdminUser, username: str,
    display_name: Annotated[str, Form()] = "", team: Annotated[str, Form()] = "",
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    user = await service.get_user(db, username)
    before = user_dict(user)
    role_list = roles or []
    try:
        if user.username == admin.username and "admin" not in role_list:
            raise Forbidden("You cannot take the admin role from yourself: another admin must do it")
        user = await service.update_user(db, username, team=team.strip(), roles=role_list,
                                         display_name=display_name.strip())
        await audit.record(db, admin.username, "console", "", "", KIND, username, "user.update",
                           "success", before, user_dict(user))
        await db.commit()
    except DomainError as exc:
        await db.rollback()
        await _refused(request, admin.username, username, "user.update", exc, before)
        return await _user_page(request, db, admin, username, status_code=exc.status_code, error=exc)
    return _go(request, _user_url(request, username, "updated"))


async def _set_state(request: Request, db: AsyncSession, admin: User, username: str, state: str) -> Response:
    user = await service.get_user(db, username)
    before = user_dict(user)
    try:
        if state == "disable":
            if user.username == admin.username:
                raise Forbidden("You cannot disable your own account")
            user = await service.disable_user(db, username)
        else:
            user = await service.enable_user(db, username)
        await audit.record(db, admin.username, "console", "", "", KIND, username, f"user.{state}",
                           "success", before, user_dict(user))
        await db.commit()
    except DomainError as exc:
        await db.rollback()
        await _refused(request, admin.username, username, f"user.{state}", exc, before)
        return await _user_page(request, db, admin, username, status_code=exc.status_code, error=exc)
    return _go(request, _user_url(request, username, f"{state}d"))


@router.post("/admin/users/{username}/disable", response_class=HTMLResponse, name="admin-user-disable")
async def disable_user(request: Request, db: DbSession, admin: AdminUser, username: str) -> Response:
    """Disable the user (their sessions end at once, their tokens stop working)."""
    return await _set_state(request, db, admin, username, "disable")


@router.post("/admin/users/{username}/enable", response_class=HTMLResponse, name="admin-user-enable")
async def enable_user(request: Request, db: DbSession, admin: AdminUser, username: str) -> Response:
    return await _set_state(request, db, admin, username, "enable")


@router.post("/admin/users/{username}/password", response_class=HTMLResponse, name="admin-user-password")
async def reset_password(
    request: Request, db: DbSession, admin: AdminUser, username: str,
    password: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Set the password the admin typed, or a generated one (shown once). Ends the user's sessions."""
    user = await service.get_user(db, username)
    before = user_dict(user)
    secret = password or service.generate_password()
    try:
        user = await service.set_password(db, username, secret)
        await audit.record(db, admin.username, "console", "", "", KIND, username, "user.password",
                           "success", before, user_dict(user), "password reset by an admin")
        await db.commit()
    except DomainError as exc:
        await db.rollback()
        await _refused(request, admin.username, username, "user.password", exc, before)
        return await _user_page(request, db, admin, username, status_code=exc.status_code, error=exc)
    response = await _user_page(request, db, admin, username, notice="The password was changed.",
                                secret="" if password else secret)
    return response if password else _no_store(response)


# ------------------------------------------------------------------------------------ settings


async def _settings_page(request: Request, db: AsyncSession, *, notice: str = "") -> HTMLResponse:
    context = {"api_gated": await api_gated(db), "notice": notice, "nav": "admin-settings"}
    return templates.TemplateResponse(request, "admin/settings.html", context)


@router.get("/admin/settings", response_class=HTMLResponse, name="admin-settings")
async def settings_page(request: Request, db: DbSession, admin: AdminUser) -> HTMLResponse:
    notice = "The settings were saved." if request.query_params.get("done") == "saved" else ""
    return await _settings_page(request, db, notice=notice)


@router.post("/admin/settings", response_class=HTMLResponse, name="admin-settings-save")
async def save_settings(
    request: Request, db: DbSession, admin: AdminUser, api_gated: Annotated[str, Form()] = "",
) -> Response:
    """An unchecked box posts nothing: absent means off."""
    value = api_gated in ("on", "true", "1")
    await set_api_gated(db, value, actor=admin.username, via="console")
    await db.commit()
    return _go(request, f"{request.url_for('admin-settings')}?done=saved")


# ---------------------------------------------------------------------------- the user's page


async def _account_page(
    request: Request, db: AsyncSession, user: User, *, status_code: int = 200,
    error: DomainError | None = None, form: dict[str, str] | None = None,
    new_token: tokens.ApiToken | None = None, secret: str = "", notice: str = "",
) -> HTMLResponse:
    context = {
        "user": user,
        "tokens": [t for t, _ in await tokens.list_tokens(db, user.username)],
        "scopes": tokens.SCOPES,
        "expiry_choices": EXPIRY_CHOICES,
        "error": error,
        "causes": _causes(error),
        "form": form or {"name": "", "scope": tokens.READ, "expires": "90d"},
        "new_token": new_token,
        "secret": secret,
        "notice": notice,
        "fmt_time": fmt_time,
        "nav": "account",
    }
    return templates.TemplateResponse(request, "account/index.html", context, status_code=status_code)


@router.get("/account", response_class=HTMLResponse, name="account")
async def account_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    notice = "The token was revoked." if request.query_params.get("done") == "revoked" else ""
    return await _account_page(request, db, user, notice=notice)


@router.post("/account/tokens", response_class=HTMLResponse, name="account-token-create")
async def create_token(
    request: Request, db: DbSession, user: CurrentUser,
    name: Annotated[str, Form()] = "", scope: Annotated[str, Form()] = tokens.READ,
    expires: Annotated[str, Form()] = "90d",
) -> HTMLResponse:
    form = {"name": name, "scope": scope, "expires": expires}
    try:
        expires_in = tokens.parse_duration(expires) if expires.strip() else None
        token, plain = await tokens.create_token(db, user.username, name, scope=scope,
                                                 expires_in=expires_in, actor=user.username, via="console")
        await db.commit()
    except DomainError as exc:
        await db.rollback()
        return await _account_page(request, db, user, status_code=exc.status_code, error=exc, form=form)
    return _no_store(await _account_page(request, db, user, status_code=201, new_token=token, secret=plain))


@router.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse, name="account-token-revoke")
async def revoke_token(request: Request, db: DbSession, user: CurrentUser, token_id: int) -> Response:
    """Users revoke their own tokens here (someone else's is "not found", as if it did not exist)."""
    own = {t.id for t, _ in await tokens.list_tokens(db, user.username)}
    if token_id not in own:
        exc = NotFound(f"API token #{token_id} not found")
        return await _account_page(request, db, user, status_code=404, error=exc)
    await tokens.revoke_token(db, token_id, actor=user.username, via="console")
    await db.commit()
    return _go(request, f"{request.url_for('account')}?done=revoked")
