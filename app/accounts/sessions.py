"""Login sessions: a database row per signed-in browser, its signed id in an HttpOnly cookie.

The cookie value is ``itsdangerous``-signed with the console's secret key; the row is looked up
by the SHA-256 of the id. A session ends after ``session_idle_timeout`` seconds without a request
or ``session_absolute_timeout`` seconds after login, whichever comes first; login always starts a
new session (the old one, if any, is deleted), so a planted session id is worth nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request, Response
from itsdangerous import BadSignature, Signer
from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import LoginSession, User, utcnow
from app.config import Settings

COOKIE_NAME = "netpol_session"


@dataclass
class Auth:
    """Who is making this request (set on ``request.scope["netpol.auth"]`` by the middleware)."""

    user: User | None = None
    session: LoginSession | None = None
    bearer: bool = False  # an ``Authorization: Bearer`` request: the API authenticates it

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token if self.session is not None else ""


def _signer(settings: Settings) -> Signer:
    return Signer(settings.secret_key, salt="netpol-console.session")


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def cookie_value(settings: Settings, session_id: str) -> str:
    return _signer(settings).sign(session_id).decode()


def session_id_from_cookie(settings: Settings, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return _signer(settings).unsign(value).decode()
    except BadSignature:
        return None


async def start(db: AsyncSession, user: User, *, client_ip: str | None) -> tuple[str, LoginSession]:
    """A new session for ``user``; returns its id (for the cookie) and the row. Caller commits."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    row = LoginSession(id_hash=_hash(session_id), user_id=user.id, csrf_token=secrets.token_hex(32),
                       created_at=now, last_seen_at=now, client_ip=client_ip)
    db.add(row)
    user.last_login_at = now
    await db.flush()
    return session_id, row


async def end(db: AsyncSession, session_id: str | None) -> None:
    if session_id:
        await db.execute(delete(LoginSession).where(LoginSession.id_hash == _hash(session_id)))


# Built once: building a statement (SQLAlchemy's expression objects) cost more than running it.
_BY_ID = (
    select(LoginSession, User)
    .outerjoin(User, User.id == LoginSession.user_id)
    .where(LoginSession.id_hash == bindparam("id_hash"))
)


async def load(db: AsyncSession, settings: Settings, session_id: str) -> tuple[LoginSession, User] | None:
    """The live session and its enabled user (one query), touching ``last_seen_at``; expired ones
    are deleted. Read on every request, so that a session ended or a user disabled through any
    replica is refused at once. Caller commits (``commit_changes``)."""
    found = (await db.execute(_BY_ID, {"id_hash": _hash(session_id)})).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    idle = timedelta(seconds=settings.session_idle_timeout)
    if now - row.last_seen_at > idle or now - row.created_at > timedelta(
        seconds=settings.session_absolute_timeout
    ):
        await db.delete(row)
        return None
    if user is None or user.disabled:
        await db.delete(row)
        return None
    # Write at most a few times per idle period, not on every request.
    if now - row.last_seen_at > min(idle / 10, timedelta(seconds=30)):
        row.last_seen_at = now
    return row, user


async def commit_changes(db: AsyncSession) -> None:
    """Commit what a request's sign-in check changed (a session touched or deleted, a token's last
    use): a check that changed nothing, as most do, costs no COMMIT round trip."""
    if db.new or db.dirty or db.deleted:
        await db.commit()


async def purge_expired(db: AsyncSession, settings: Settings) -> int:
    """Delete sessions past either timeout; returns how many. Caller commits."""
    now = utcnow()
    result = await db.execute(
        select(LoginSession.id_hash).where(
            (LoginSession.last_seen_at < now - timedelta(seconds=settings.session_idle_timeout))
            | (LoginSession.created_at < now - timedelta(seconds=settings.session_absolute_timeout))
        )
    )
    ids = list(result.scalars())
    if ids:
        await db.execute(delete(LoginSession).where(LoginSession.id_hash.in_(ids)))
    return len(ids)


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, settings: Settings, session_id: str) -> None:
    response.set_cookie(
        COOKIE_NAME, cookie_value(settings, session_id), max_age=settings.session_absolute_timeout,
        path="/", httponly=True, samesite="lax", secure=settings.cookie_secure or is_https(request),
    )


def clear_cookie(response: Response, request: Request, settings: Settings) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax",
                           secure=settings.cookie_secure or is_https(request))


def csrf_matches(session: LoginSession | None, token: str | None) -> bool:
    return bool(session is not None and token and hmac.compare_digest(session.csrf_token, token))
