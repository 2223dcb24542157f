"""The administration pages (/admin/users, /admin/users/{name}, /admin/settings; role admin).

Every change is audited here, in the same transaction as the change (``app.accounts.service``
does not audit): kind ``User``, actions ``user.create`` / ``user.update`` / ``user.disable`` /
``user.enable`` / ``user.password``, before and after as ``user_dict`` (never a password hash).
Setting changes are audited by ``app.whitelist.service.set_api_gated`` itself. A refused change
(not a mere invalid form) is recorded as a ``failure`` in a transaction of its own
(``app.web.forms.audit_refusal``).

A password chosen by the console is shown once, in the answer to the POST that made it (never
redirected to, never stored in plain text).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service
from app.accounts.deps import DbSession, role_required
from app.accounts.models import ROLES, User
from app.accounts.service import user_dict
from app.audit import service as audit
from app.errors import DomainError, FieldError, Forbidden
from app.policies.words import N_, Words
from app.web.forms import (
    Refusal,
    audit_refusal,
    done_url,
    no_store,
    notice,
    redirect,
    refusal,
    render,
    tell,
)
from app.whitelist.service import api_gated, set_api_gated

router = APIRouter()

KIND = "User"
AdminUser = Annotated[User, Depends(role_required("admin"))]

# What a page says after a write (``?done=``).
USER_DONE = {
    "updated": N_("The user was updated."),
    "disabled": N_("The user was disabled."),
    "enabled": N_("The user was enabled."),
}
SETTINGS_DONE = {"saved": N_("The settings were saved.")}


# ------------------------------------------------------------------------------------ user list


async def _users_page(
    request: Request, db: AsyncSession, *, status_code: int = 200, refused: Refusal | None = None,
    form: dict[str, Any] | None = None, created: User | None = None, secret: str = "",
) -> HTMLResponse:
    context = {
        "users": await service.list_users(db),
        "roles": ROLES,
        "refused": refused,
        "form": form or {"username": "", "display_name": "", "team": "", "roles": ["viewer"], "password": ""},
        "created": created,
        "secret": secret,
        "nav": "admin-users",
    }
    return render(request, "admin/users.html", context, status_code=refused.status if refused else status_code)


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
        await audit_refusal(request, exc, actor=admin.username, kind=KIND, name=username, action="user.create")
        taken = FieldError("username", "FieldValueDuplicate", Words("a user of this name already exists"), username)
        return await _users_page(request, db, refused=refusal(request, exc, taken=taken), form=form)
    # Only a generated password is shown: the admin knows the one they typed.
    response = await _users_page(request, db, status_code=201, created=user,
                                 secret=secret if generated else "")
    return no_store(response) if generated else response


# ---------------------------------------------------------------------------------- one user


async def _user_page(
    request: Request, db: AsyncSession, admin: User, username: str, *, refused: Refusal | None = None,
    secret: str = "", said: str = "",
) -> HTMLResponse:
    user = await service.get_user(db, username)
    context = {
        "user": user,
        "roles": ROLES,
        "is_self": user.username == admin.username,
        "refused": refused,
        "notice": said or ("" if refused else notice(request, USER_DONE)),
        "secret": secret,
        "nav": "admin-users",
    }
    return render(request, "admin/user.html", context, status_code=refused.status if refused else 200)


@router.get("/admin/users/{username}", response_class=HTMLResponse, name="admin-user")
async def user_page(request: Request, db: DbSession, admin: AdminUser, username: str) -> HTMLResponse:
    return await _user_page(request, db, admin, username)


async def _change(request: Request, db: AsyncSession, admin: User, username: str, action: str,
                  change: Callable[[User], Awaitable[User]]) -> Response:
    """The one way a user is changed here: ``change(user)`` returns the changed user; audited with
    before and after, then the user's page says so; a refusal shows on that page again."""
    user = await service.get_user(db, username)
    before = user_dict(user)
    try:
        user = await change(user)
        await audit.record(db, admin.username, "console", "", "", KIND, username, f"user.{action}",
                           "success", before, user_dict(user))
        await db.commit()
    except DomainError as exc:
        await db.rollback()
        await audit_refusal(request, exc, actor=admin.username, kind=KIND, name=username,
                            action=f"user.{action}", before=before)
        return await _user_page(request, db, admin, username, refused=refusal(request, exc))
    done = f"{action}d"  # update, disable, enable: updated, disabled, enabled
    return redirect(request, done_url(str(request.url_for("admin-user", username=username)), done))


@router.post("/admin/users/{username}", response_class=HTMLResponse, name="admin-user-update")
async def update_user(
    request: Request, db: DbSession, admin: AdminUser, username: str,
    display_name: Annotated[str, Form()] = "", team: Annotated[str, Form()] = "",
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    role_list = roles or []

    async def change(user: User) -> User:
        if user.username == admin.username and "admin" not in role_list:
            raise Forbidden(Words("You cannot take the admin role from yourself: another admin must do it"))
        return await service.update_user(db, username, team=team.strip(), roles=role_list,
                                         display_name=display_name.strip())

    return await _change(request, db, admin, username, "update", change)


@router.post("/admin/users/{username}/disable", response_class=HTMLResponse, name="admin-user-disable")
async def disable_user(request: Request, db: DbSession, admin: AdminUser, username: str) -> Response:
    """Disable the user (their sessions end at once, their tokens stop working)."""

    async def change(user: User) -> User:
        if user.username == admin.username:
            raise Forbidden(Words("You cannot disable your own account"))
        return await service.disable_user(db, username)

    return await _change(request, db, admin, username, "disable", change)


@router.post("/admin/users/{username}/enable", response_class=HTMLResponse, name="admin-user-enable")
async def enable_user(request: Request, db: DbSession, admin: AdminUser, username: str) -> Response:

    async def change(user: User) -> User:
        return await service.enable_user(db, username)

    return await _change(request, db, admin, username, "enable", change)


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
        await audit_refusal(request, exc, actor=admin.username, kind=KIND, name=username,
                            action="user.password", before=before)
        return await _user_page(request, db, admin, username, refused=refusal(request, exc))
    said = tell(request, Words("The password was changed."))
    response = await _user_page(request, db, admin, username, secret="" if password else secret, said=said)
    return response if password else no_store(response)


# ------------------------------------------------------------------------------------ settings


@router.get("/admin/settings", response_class=HTMLResponse, name="admin-settings")
async def settings_page(request: Request, db: DbSession, admin: AdminUser) -> HTMLResponse:
    context = {"api_gated": await api_gated(db), "notice": notice(request, SETTINGS_DONE), "nav": "admin-settings"}
    return render(request, "admin/settings.html", context)


@router.post("/admin/settings", response_class=HTMLResponse, name="admin-settings-save")
async def save_settings(
    request: Request, db: DbSession, admin: AdminUser, api_gated: Annotated[str, Form()] = "",
) -> Response:
    """An unchecked box posts nothing: absent means off."""
    value = api_gated in ("on", "true", "1")
    await set_api_gated(db, value, actor=admin.username, via="console")
    await db.commit()
    return redirect(request, done_url(str(request.url_for("admin-settings")), "saved"))
