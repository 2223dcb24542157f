"""Each user's own page (/account): who they are, their password and their API tokens. Token
changes are audited by ``app.accounts.tokens``; a new token is shown once, in the answer to the
POST that made it (never redirected to, never stored in plain text). A password change (the
current one, the new one twice) ends the user's other sessions and is audited here, as
``user.password`` by the user themselves; a refused one as a ``failure``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import passwords, service, tokens
from app.accounts.deps import AuthDep, CurrentUser, DbSession
from app.accounts.models import User
from app.accounts.service import user_dict
from app.audit import service as audit
from app.errors import DomainError, Forbidden, Invalid, NotFound
from app.limits import RowId
from app.policies.words import N_, Words
from app.web.forms import Refusal, audit_refusal, done_url, no_store, notice, redirect, refusal, render

router = APIRouter()

# What the token form offers; "" is "never expires".
EXPIRY_CHOICES = (("30d", N_("30 days")), ("90d", N_("90 days")), ("365d", N_("1 year")), ("", N_("Never")))
DONE = {
    "revoked": N_("The token was revoked."),
    "password": N_("Your password was changed. Your other sessions were signed out."),
}


async def _account_page(
    request: Request, db: AsyncSession, user: User, *, status_code: int = 200,
    refused: Refusal | None = None, form: dict[str, str] | None = None,
    new_token: tokens.ApiToken | None = None, secret: str = "",
) -> HTMLResponse:
    context = {
        "user": user,
        "tokens": [t for t, _ in await tokens.list_tokens(db, user.username)],
        "scopes": tokens.SCOPES,
        "expiry_choices": EXPIRY_CHOICES,
        "refused": refused,
        "form": form or {"name": "", "scope": tokens.READ, "expires": "90d"},
        "new_token": new_token,
        "secret": secret,
        "min_password": passwords.MIN_LENGTH,
        "notice": "" if refused or new_token else notice(request, DONE),
        "nav": "account",
    }
    return render(request, "account/index.html", context, status_code=refused.status if refused else status_code)


@router.get("/account", response_class=HTMLResponse, name="account")
async def account_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    return await _account_page(request, db, user)


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
        return await _account_page(request, db, user, refused=refusal(request, exc), form=form)
    return no_store(await _account_page(request, db, user, status_code=201, new_token=token, secret=plain))


@router.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse, name="account-token-revoke")
async def revoke_token(request: Request, db: DbSession, user: CurrentUser, token_id: RowId) -> Response:
    """Users revoke their own tokens here (someone else's is "not found", as if it did not exist)."""
    try:
        if token_id not in {t.id for t, _ in await tokens.list_tokens(db, user.username)}:
            raise NotFound(Words("API token #{id} not found", id=str(token_id)))
        await tokens.revoke_token(db, token_id, actor=user.username, via="console")
        await db.commit()
    except DomainError as exc:
        await db.rollback()
        return await _account_page(request, db, user, refused=refusal(request, exc))
    return redirect(request, done_url(str(request.url_for("account")), "revoked"))


@router.post("/account/password", response_class=HTMLResponse, name="account-password")
async def change_password(
    request: Request, db: DbSession, user: CurrentUser, auth: AuthDep,
    current: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
    repeat: Annotated[str, Form()] = "",
) -> Response:
    """The user's own password: refused at its field (wrong current password, too short, too
    common, the two new ones differ); on success the other sessions of the user end, this one
    stays, and the page says so."""
    me = await service.get_user(db, user.username)
    before = user_dict(me)
    try:
        if me.password_hash is None:
            raise Forbidden(Words("Your account signs in through single sign-on: it has no password here to change"))
        me = await service.change_own_password(db, me, current, password, repeat, keep=auth.session)
        await audit.record(db, me.username, "console", "", "", "User", me.username, "user.password",
                           "success", before, user_dict(me), "password changed by the user")
        await db.commit()
    except DomainError as exc:
        await db.rollback()
        await audit_refusal(request, exc, actor=user.username, kind="User", name=user.username,
                            action="user.password", before=before)
        if isinstance(exc, Invalid) and any(c.field == "current" for c in exc.causes):
            # A wrong current password is worth knowing about (a session in the wrong hands).
            await audit.record_detached(request.app.state.sessions, user.username, "console", "", "", "User",
                                        user.username, "user.password", "failure", before, None,
                                        "the current password did not match")
        return await _account_page(request, db, user, refused=refusal(request, exc))
    return redirect(request, done_url(str(request.url_for("account")), "password"))
