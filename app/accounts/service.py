"""Users and their passwords: the one place pages, the CLI and the API manage accounts.

Functions take an ``AsyncSession`` and flush; the caller commits (one unit of work per request or
command), except where a function says otherwise.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import secrets
from collections.abc import Iterable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import metrics
from app.accounts import passwords
from app.accounts.models import ROLES, LoginSession, User, utcnow
from app.config import Settings
from app.errors import AlreadyExists, FieldError, Forbidden, Invalid, NotFound
from app.policies.words import Words

log = logging.getLogger(__name__)

_hasher = PasswordHasher()

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,149}$")
TEAM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

BOOTSTRAP_ADMIN = "admin"
BOOTSTRAP_TEAM = "platform"


@functools.cache
def _dummy_hash() -> str:
    """Verified against when there is no hash, so a miss costs as much time as a wrong password."""
    return _hasher.hash("not a password of anyone")


class InvalidAdminPassword(ValueError):
    """``NETPOL_ADMIN_PASSWORD`` does not meet the password policy: the console does not start."""


def hash_password(password: str) -> str:
    """argon2id (tens to hundreds of milliseconds of CPU: call it off the event loop)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; a missing or malformed hash never matches."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def _hash(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def normalize_roles(roles: Iterable[str]) -> frozenset[str]:
    """The role set, checked against viewer / operator / approver / admin."""
    result = frozenset(r.strip().lower() for r in roles if r.strip())
    unknown = sorted(result - set(ROLES))
    if unknown:
        raise Invalid(
            f"unknown role {unknown[0]!r} (choose from {', '.join(ROLES)})",
            [FieldError("roles", "FieldValueNotSupported", f"supported values: {', '.join(ROLES)}",
                        unknown[0])],
        )
    if not result:
        raise Invalid("a user needs at least one role", [FieldError("roles", "FieldValueRequired")])
    return result


def require_role(user: User | None, role: str) -> None:
    """Raise Forbidden unless ``user`` holds ``role`` (admin holds every role)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if user is None or user.disabled or not user.has_role(role):
        raise Forbidden(f"this needs the {role} role")


async def get_user(db: AsyncSession, username: str) -> User:
    user = await find_user(db, username)
    if user is None:
        raise NotFound(f'user "{username}" not found')
    return user


async def find_user(db: AsyncSession, username: str) -> User | None:
    result = await db.execute(select(User).where(User.username == username))
    return result.scalar_one_or_none()


async def list_users(db: AsyncSession) -> list[User]:
    result = await db.execute(select(User).order_by(User.username))
    return list(result.scalars())


async def count_users(db: AsyncSession) -> int:
    return int((await db.execute(select(func.count()).select_from(User))).scalar_one())


async def create_user(
    db: AsyncSession,
    username: str,
    *,
    team: str,
    roles: Iterable[str],
    password: str | None = None,
    display_name: str = "",
    email: str | None = None,
    oidc_subject: str | None = None,
) -> User:
    """A new user; ``password`` None leaves no local password (OpenID Connect only)."""
    causes: list[FieldError] = []
    if not USERNAME_RE.match(username):
        causes.append(FieldError("username", "FieldValueInvalid",
                                 "letters, digits and . _ @ - (starting with a letter or digit)", username))
    if not TEAM_RE.match(team):
        causes.append(FieldError("team", "FieldValueInvalid",
                                 "letters, digits and . _ - (starting with a letter or digit)", team))
    if causes:
        raise Invalid(f'user "{username}" is invalid: ' + ", ".join(str(c) for c in causes), causes)
    role_set = normalize_roles(roles)
    if password is not None:
        passwords.check(password)
    if await find_user(db, username) is not None:
        raise AlreadyExists(f'user "{username}" already exists')
    user = User(
        username=username, team=team, roles=role_set, display_name=display_name, email=email,
        password_hash=await _hash(password) if password is not None else None,
        oidc_subject=oidc_subject, disabled=False, created_at=utcnow(),
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError as exc:  # a concurrent create of the same name
        raise AlreadyExists(f'user "{username}" already exists') from exc
    return user


async def set_password(db: AsyncSession, username: str, password: str) -> User:
    """An admin's reset (or the CLI's): the new password, and every session of the user ends."""
    passwords.check(password)
    user = await get_user(db, username)
    user.password_hash = await _hash(password)
    await _end_sessions(db, user)
    await db.flush()
    return user


async def change_own_password(
    db: AsyncSession, user: User, current: str, new: str, repeat: str, *, keep: LoginSession | None = None,
) -> User:
    """A user changing their own password: the current one must match, the new one meet the
    policy and be typed twice alike. Every other session of the user ends (``keep``: the one
    making the change). Raises ``Invalid`` at the field concerned; the caller audits."""
    causes: list[FieldError] = []
    if not current:
        causes.append(FieldError("current", "FieldValueRequired"))
    elif not await asyncio.to_thread(verify_password, user.password_hash, current):
        causes.append(FieldError("current", "FieldValueInvalid", Words("not your current password")))
    why = passwords.problem(new)
    if why:
        causes.append(FieldError("password", "FieldValueInvalid", why))
    elif new != repeat:
        causes.append(FieldError("repeat", "FieldValueInvalid", Words("not the same as the new password")))
    elif new == current:
        causes.append(FieldError("password", "FieldValueInvalid",
                                 Words("the same as the current password; choose a new one")))
    if causes:
        raise Invalid(Words("the password was not changed"), causes)
    user.password_hash = await _hash(new)
    await _end_sessions(db, user, keep=keep)
    await db.flush()
    return user


async def update_user(
    db: AsyncSession, username: str, *, team: str | None = None, roles: Iterable[str] | None = None,
    display_name: str | None = None, email: str | None = None,
) -> User:
    user = await get_user(db, username)
    if team is not None:
        if not TEAM_RE.match(team):
            raise Invalid(f"invalid team {team!r}", [FieldError("team", "FieldValueInvalid", "", team)])
        user.team = team
    if roles is not None:
        user.roles = normalize_roles(roles)
    if display_name is not None:
        user.display_name = display_name
    if email is not None:
        user.email = email
    await db.flush()
    return user


async def disable_user(db: AsyncSession, username: str) -> User:
    """Disable the user and end every session of theirs (tokens check ``disabled`` themselves)."""
    user = await get_user(db, username)
    user.disabled = True
    await _end_sessions(db, user)
    await db.flush()
    return user


async def enable_user(db: AsyncSession, username: str) -> User:
    user = await get_user(db, username)
    user.disabled = False
    await db.flush()
    return user


async def _end_sessions(db: AsyncSession, user: User, *, keep: LoginSession | None = None) -> None:
    for row in (await db.execute(select(LoginSession).where(LoginSession.user_id == user.id))).scalars():
        if keep is None or row.id_hash != keep.id_hash:
            await db.delete(row)


@metrics.login("password")
async def check_credentials(db: AsyncSession, username: str, password: str) -> User | None:
    """The enabled user with this username and password, else None (same cost either way).

    Rehashes the password when argon2's parameters have changed since it was stored.
    """
    user = await find_user(db, username)
    matches = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
    if not matches or user is None:
        return None
    if user.disabled:
        return None
    assert user.password_hash is not None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await _hash(password)
    return user


async def ensure_bootstrap_admin(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> str | None:
    """On a database without users, create ``admin`` (admin and approver, team ``platform``).

    The password is ``settings.admin_password`` (``InvalidAdminPassword``, and the console
    does not start, when it does not meet the policy), or a generated one, logged once at WARNING and
    returned. Returns None when users existed already (or another process created them first).
    Commits.
    """
    async with sessions() as db:
        if await count_users(db) > 0:
            return None
        why = passwords.problem(settings.admin_password) if settings.admin_password else ""
        if why:
            raise InvalidAdminPassword(f"NETPOL_ADMIN_PASSWORD is refused: {why}")
        password = settings.admin_password or generate_password()
        try:
            await create_user(db, BOOTSTRAP_ADMIN, team=BOOTSTRAP_TEAM, roles=["admin", "approver"],
                              password=password, display_name="Administrator")
            await db.commit()
        except AlreadyExists:  # another console process bootstrapped at the same moment
            await db.rollback()
            return None
    if settings.admin_password:
        log.warning('created the first user "%s" with the password from NETPOL_ADMIN_PASSWORD',
                    BOOTSTRAP_ADMIN)
    else:
        log.warning('created the first user "%s" with the generated password %s '
                    "(shown only this once; change it with `netpol-console users set-password admin`)",
                    BOOTSTRAP_ADMIN, password)
    return password


async def upsert_oidc_user(
    db: AsyncSession, *, subject: str, username: str, display_name: str, email: str | None,
    team: str, roles: frozenset[str],
) -> User:
    """The user for this OpenID Connect subject, created on first sign-in; team and roles follow
    the provider's groups on every sign-in. A local user with the same username is never taken
    over: the new user gets a suffixed name instead. Forbidden when the user is disabled."""
    user = (await db.execute(select(User).where(User.oidc_subject == subject))).scalar_one_or_none()
    if user is not None:
        if user.disabled:
            raise Forbidden("Your account is disabled.")
        user.team, user.roles = team, normalize_roles(roles)
        user.display_name, user.email = display_name or user.display_name, email or user.email
        await db.flush()
        return user
    base = re.sub(r"[^A-Za-z0-9._@-]", "-", username).lstrip("._@-")[:140] or "user"
    candidate, n = base, 1
    while await find_user(db, candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return await create_user(db, candidate, team=team, roles=roles, display_name=display_name,
                             email=email, oidc_subject=subject)


def user_dict(user: User) -> dict[str, Any]:
    """The user as the audit log keeps it: no password hash, only whether one is set."""
    return {
        "username": user.username,
        "displayName": user.display_name,
        "email": user.email,
        "team": user.team,
        "roles": sorted(user.roles),
        "disabled": user.disabled,
        "localPassword": user.password_hash is not None,
        "oidc": user.oidc_subject is not None,
    }
