"""Tables of the accounts: users, their login sessions, and failed logins (for throttling).

Everything a login needs lives here, in the database, so any number of console processes can
serve the same users: a session is a row (the cookie carries its signed id), throttling counts
rows. API tokens (issue 6) reference ``users.id``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

ROLES = ("viewer", "operator", "approver", "admin")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite drops the zone; we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class RoleSet(TypeDecorator[frozenset[str]]):
    """A set of role names, stored as sorted space-separated text (e.g. ``"admin approver"``).

    A frozenset, so changing roles means assigning a new set, which SQLAlchemy notices.
    """

    impl = String(100)
    cache_ok = True

    def process_bind_param(self, value: frozenset[str] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return " ".join(sorted(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> frozenset[str] | None:
        if value is None:
            return None
        return frozenset(value.split())


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    team: Mapped[str] = mapped_column(String(100))
    roles: Mapped[frozenset[str]] = mapped_column(RoleSet, default=frozenset)
    # None for users who sign in only through OpenID Connect.
    password_hash: Mapped[str | None] = mapped_column(Text, default=None)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def name(self) -> str:
        """What the pages show: the display name, else the username."""
        return self.display_name or self.username

    def has_role(self, role: str) -> bool:
        """Whether the user holds ``role``; admin implies every role."""
        return role in self.roles or "admin" in self.roles

    def __repr__(self) -> str:
        return f"User({self.username!r}, team={self.team!r}, roles={sorted(self.roles)})"


class LoginSession(Base):
    """A signed-in browser. The cookie holds the signed session id; the row holds its SHA-256,
    so reading the database does not hand out live sessions."""

    __tablename__ = "login_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    client_ip: Mapped[str | None] = mapped_column(String(64), default=None)


class LoginFailure(Base):
    """One failed password login, counted per username and per client address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)  # "user:NAME" or "ip:ADDRESS"
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The client address of the attempt (migration 0006): an account's failures count at most
    # ``login_max_failures`` per address, so one address cannot keep an account locked.
    address: Mapped[str | None] = mapped_column(String(64), default=None)


class LoginAddress(Base):
    """Where an account last signed in successfully (``app.accounts.throttle``: the short lock
    on an account under attack does not keep its owner out of the addresses they use)."""

    __tablename__ = "login_addresses"
    __table_args__ = (UniqueConstraint("username", "address", name="uq_login_addresses_username_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(200))  # lower case, as throttling counts it
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
