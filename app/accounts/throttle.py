"""Login throttling against password guessing, kept in the database (any process sees it).

Each failed password login adds a row for the username and one for the client address (both
carrying the address). Two locks, counted separately:

* **The address**: ``login_max_failures`` failures from one address within
  ``login_failure_window`` seconds lock that address, for every account, until the oldest of them
  leaves the window. Guessing from one place stops there.
* **The account**, against guessing spread over many addresses: once its failures of the last
  ``ACCOUNT_HISTORY`` (each address counting at most ``login_max_failures`` of them) reach
  ``login_max_failures``, it is locked for ``ACCOUNT_LOCK`` seconds after each failure, the lock
  doubling with every further ``login_max_failures`` failures, up to ``ACCOUNT_LOCK_MAX``: five
  guesses, then one per 30 s, one per minute after ten, ... The account lock does not apply
  at an address the account signed in from successfully within ``KNOWN_FOR``
  (``login_addresses``): its owner keeps signing in from where they usually do.

So one address hammering someone's account locks itself for the window, and that account, for a
new address of its owner, for at most ``ACCOUNT_LOCK`` seconds after each of its rounds; from the
owner's usual address, not at all. A locked attempt is refused with 429 even with the right
password (guessing gains nothing) and is not itself a failure. A successful login clears its
username's failures (not the address's, or one known account would reset the counter for
guessing others) and records the address as the account's.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app import metrics
from app.accounts.models import LoginAddress, LoginFailure, utcnow
from app.config import Settings
from app.errors import DomainError
from app.policies.words import Words

ACCOUNT_HISTORY = timedelta(hours=1)
ACCOUNT_LOCK = 30  # seconds, after the first round of failures on an account
ACCOUNT_LOCK_MAX = 15 * 60
KNOWN_FOR = timedelta(days=90)


class LoginThrottled(DomainError):
    status_code = 429
    reason = "TooManyRequests"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        if minutes == 1:
            super().__init__(Words("Too many failed sign-in attempts. Try again in 1 minute."))
        else:
            super().__init__(Words("Too many failed sign-in attempts. Try again in {minutes} minutes.",
                                   minutes=str(minutes)))
        self.retry_after = retry_after


def _user_key(username: str) -> str:
    return f"user:{_account(username)}"[:200]


def _account(username: str) -> str:
    return username.strip().lower()[:200]


def keys(username: str, client_ip: str | None) -> list[str]:
    result = [_user_key(username)]
    if client_ip:
        result.append(f"ip:{client_ip}"[:200])
    return result


def _address_wait(found: list[datetime], settings: Settings, now: datetime, pending: int) -> float:
    """Seconds until the address lock lifts (0: not locked)."""
    earlier = len(found) - pending
    if earlier < settings.login_max_failures:
        return 0
    # The lock lifts once fewer than the maximum earlier failures remain in the window.
    lifts = found[earlier - settings.login_max_failures]
    return (lifts + timedelta(seconds=settings.login_failure_window) - now).total_seconds()


def account_lock(counted: int, per_round: int) -> int:
    """The seconds an account stays locked after ``counted`` failures (0: not locked)."""
    rounds = counted // max(1, per_round)
    if rounds < 1:
        return 0
    return min(ACCOUNT_LOCK * 2 ** min(rounds - 1, 20), ACCOUNT_LOCK_MAX)


def _account_wait(rows: list[tuple[datetime, str | None]], settings: Settings, now: datetime,
                  client_ip: str | None, pending: int) -> float:
    """Seconds until the account lock lifts for an attempt from ``client_ip`` (0: not locked)."""
    per_address: dict[str, list[datetime]] = {}
    for at, address in rows:
        per_address.setdefault(address or "", []).append(at)
    if pending:  # this attempt's own row counts, but does not itself lock
        own = client_ip[:64] if client_ip else ""
        per_address[own] = per_address.get(own, [])[:-pending]
    counted = sorted(at for times in per_address.values() for at in times[-settings.login_max_failures:])
    lock = account_lock(len(counted), settings.login_max_failures)
    if not lock:
        return 0
    return (counted[-1] + timedelta(seconds=lock) - now).total_seconds()


async def _known_address(db: AsyncSession, username: str, client_ip: str | None, now: datetime) -> bool:
    if not client_ip:
        return False
    found = await db.execute(select(LoginAddress.id).where(
        LoginAddress.username == _account(username), LoginAddress.address == client_ip[:64],
        LoginAddress.at > now - KNOWN_FOR))
    return found.first() is not None


async def check(db: AsyncSession, settings: Settings, username: str, client_ip: str | None,
                *, pending: int = 0) -> None:
    """Raise LoginThrottled (with seconds to wait) when the address, or the account at this
    address, is locked.

    ``pending`` is how many rows per key this attempt already recorded (``record_attempt``):
    they are counted but do not themselves lock, so a lock holds at ``login_max_failures``
    earlier failures.
    """
    now = utcnow()
    waits = [0.0]
    if client_ip:
        found = await db.execute(
            select(LoginFailure.at)
            .where(LoginFailure.key == keys(username, client_ip)[1],
                   LoginFailure.at > now - timedelta(seconds=settings.login_failure_window))
            .order_by(LoginFailure.at)
        )
        waits.append(_address_wait(list(found.scalars()), settings, now, pending))
    if not await _known_address(db, username, client_ip, now):
        rows = await db.execute(
            select(LoginFailure.at, LoginFailure.address)
            .where(LoginFailure.key == _user_key(username), LoginFailure.at > now - ACCOUNT_HISTORY)
            .order_by(LoginFailure.at)
        )
        waits.append(_account_wait([(at, address) for at, address in rows.all()], settings, now,
                                   client_ip, pending))
    wait = max(waits)
    if wait > 0:
        metrics.lockout()
        raise LoginThrottled(max(1, math.ceil(wait)))


async def record_attempt(db: AsyncSession, settings: Settings, username: str,
                         client_ip: str | None) -> list[int]:
    """Count this password attempt as a failure before the password is checked (the caller
    commits at once, then calls ``check(..., pending=1)``), so parallel attempts all see each
    other. Returns the row ids, for ``forget_attempt`` when it succeeds or is refused."""
    address = client_ip[:64] if client_ip else None
    rows = [LoginFailure(key=k, at=utcnow(), address=address) for k in keys(username, client_ip)]
    db.add_all(rows)
    keep = max(timedelta(seconds=settings.login_failure_window), ACCOUNT_HISTORY)
    await db.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - keep))
    await db.flush()
    return [row.id for row in rows]


async def forget_attempt(db: AsyncSession, ids: list[int]) -> None:
    """Remove the rows of an attempt that did not fail after all (the caller commits)."""
    if ids:
        await db.execute(delete(LoginFailure).where(LoginFailure.id.in_(ids)))


async def clear_user(db: AsyncSession, username: str, client_ip: str | None = None) -> None:
    """After a successful login: the account's failures are forgotten and, with ``client_ip``,
    the address becomes one the account is known to sign in from (the caller commits)."""
    await db.execute(delete(LoginFailure).where(LoginFailure.key == _user_key(username)))
    if not client_ip:
        return
    await db.execute(delete(LoginAddress).where(LoginAddress.username == _account(username),
                                                LoginAddress.at < utcnow() - KNOWN_FOR))
    values = {"username": _account(username), "address": client_ip[:64], "at": utcnow()}
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(LoginAddress).values(**values)
    await db.execute(stmt.on_conflict_do_update(index_elements=["username", "address"],
                                                set_={"at": stmt.excluded.at}))
