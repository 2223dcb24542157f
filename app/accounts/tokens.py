"""API tokens: a user's credentials for the REST API, narrowed by a scope.

A token is ``npc_`` followed by a random secret; only its SHA-256 is stored (the secret has 256
bits of entropy, so a fast hash is enough), and the plain text is shown once, when it is made.
A token acts as its user, with the user's roles, but a ``read`` token may only read. Tokens
expire (optionally), are revoked (kept, never deleted) and remember when they were last used.

Functions take an ``AsyncSession`` and flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import User, UTCDateTime, utcnow
from app.accounts.service import get_user
from app.audit import service as audit
from app.db import Base
from app.errors import FieldError, Invalid, NotFound, Unauthorized

READ, WRITE = "read", "write"
SCOPES = (READ, WRITE)
TOKEN_PREFIX = "npc_"
LAST_USE_STEP = timedelta(seconds=30)  # how precisely ``last_used_at`` says when a token was used
KIND = "APIToken"
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "": 86400}


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise a token
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16), default=WRITE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def active(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def __repr__(self) -> str:
        return f"ApiToken(#{self.id}, {self.name!r}, scope={self.scope})"


def hash_secret(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


MAX_DURATION = timedelta(days=10 * 365)


def parse_duration(text: str) -> timedelta:
    """``90d``, ``12h``, ``30m``, ``2w``, ``3600s`` (a bare number means days), at most ten years;
    ``Invalid`` otherwise."""
    match = _DURATION.match(text or "")
    # More digits than any duration within the cap needs: refused before int() (which has a
    # digit limit) or timedelta() (which overflows) sees them.
    digits = match.group(1).lstrip("0") if match else ""
    if not match or not digits:
        raise Invalid(
            f"invalid duration {text!r} (e.g. 90d, 12h, 2w)",
            [FieldError("expires", "FieldValueInvalid", "a positive number with s, m, h, d or w", text)],
        )
    seconds = int(digits) * _UNITS[match.group(2)] if len(digits) <= 12 else None
    if seconds is None or seconds > MAX_DURATION.total_seconds():
        raise Invalid(
            f"duration {text[:40]!r} is too long (at most 10 years)",
            [FieldError("expires", "FieldValueInvalid", "at most 10 years (3650d)", text[:40])],
        )
    return timedelta(seconds=seconds)


def token_dict(token: ApiToken, username: str | None = None) -> dict[str, object]:
    """The token as plain data (never its secret or hash)."""
    return {
        "id": token.id,
        "name": token.name,
        "user": username,
        "prefix": token.prefix,
        "scope": token.scope,
        "createdAt": token.created_at.isoformat() if token.created_at else None,
        "expiresAt": token.expires_at.isoformat() if token.expires_at else None,
        "lastUsedAt": token.last_used_at.isoformat() if token.last_used_at else None,
        "revokedAt": token.revoked_at.isoformat() if token.revoked_at else None,
    }


async def create_token(
    db: AsyncSession,
    username: str,
    name: str,
    *,
    scope: str = WRITE,
    expires_in: timedelta | None = None,
    actor: str | None = None,
    via: str = "cli",
) -> tuple[ApiToken, str]:
    """A new token for ``username``; returns it and its plain text (shown once, never stored)."""
    name = name.strip()
    causes: list[FieldError] = []
    if not name or len(name) > 100:
        causes.append(
            FieldError(
                "name",
                "FieldValueRequired" if not name else "FieldValueTooLong",
                "a label of at most 100 characters",
            )
        )
    if scope not in SCOPES:
        causes.append(FieldError("scope", "FieldValueNotSupported", "supported values: read, write", scope))
    if causes:
        raise Invalid("the token is invalid: " + ", ".join(str(c) for c in causes), causes)
    user = await get_user(db, username)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=plain[:12],
        secret_hash=hash_secret(plain),
        scope=scope,
        created_at=now,
        expires_at=now + expires_in if expires_in else None,
    )
    db.add(token)
    await db.flush()
    await audit.record(
        db,
        actor or username,
        via,
        "",
        "",
        KIND,
        f"{username}/{name}",
        "token.create",
        "success",
        None,
        token_dict(token, username),
    )
    return token, plain


async def list_tokens(db: AsyncSession, username: str | None = None) -> list[tuple[ApiToken, str]]:
    """Tokens with their usernames (all users' when ``username`` is None), oldest first."""
    stmt = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
    if username is not None:
        stmt = stmt.where(User.username == username)
    return [(t, u) for t, u in (await db.execute(stmt)).all()]


async def revoke_token(db: AsyncSession, token_id: int, *, actor: str = "", via: str = "cli") -> ApiToken:
    """Revoke a token (idempotent: a revoked one stays revoked at its first time)."""
    row = (
        await db.execute(
            select(ApiToken, User.username)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.id == token_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"API token #{token_id} not found")
    token, username = row
    if token.revoked_at is None:
        before = token_dict(token, username)
        token.revoked_at = utcnow()
        await db.flush()
        await audit.record(
            db,
            actor or username,
            via,
            "",
            "",
            KIND,
            f"{username}/{token.name}",
            "token.revoke",
            "success",
            before,
            token_dict(token, username),
        )
    return token


# Built once: building a statement (SQLAlchemy's expression objects) cost more than running it.
_BY_DIGEST = (
    select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.secret_hash == bindparam("digest"))
)


async def authenticate(db: AsyncSession, plain: str) -> tuple[ApiToken, User]:
    """The active token and its enabled user (one query, on every request, so that a token revoked
    or a user disabled through any replica is refused at once), its last use recorded (not
    flushed: the caller commits, see ``app.accounts.sessions.commit_changes``); Unauthorized
    otherwise."""
    if not plain.startswith(TOKEN_PREFIX):
        raise Unauthorized("unknown API token")
    digest = hash_secret(plain)
    row = (await db.execute(_BY_DIGEST, {"digest": digest})).first()
    if row is None or not hmac.compare_digest(row[0].secret_hash, digest):
        raise Unauthorized("unknown API token")
    token, user = row
    now = utcnow()
    if token.revoked_at is not None:
        raise Unauthorized("the API token has been revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized("the API token has expired")
    if user.disabled:
        raise Unauthorized("the token's user is disabled")
    # Written at most every LAST_USE_STEP, not on every request: a read-only call must not queue
    # behind the database's writers (SQLite has one) to say when the token was last used.
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_STEP:
        token.last_used_at = now
    return token, user
