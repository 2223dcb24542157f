"""Login throttling against password guessing, kept in the database (any process sees it).

Each failed password login adds a row for the username and one for the client address. When
either has ``login_max_failures`` rows within ``login_failure_window`` seconds, further attempts
are refused with 429 until the oldest of them leaves the window — even with the right password,
so guessing gains nothing. A successful login clears its username's failures (not the address's,
or one known account would reset the counter for guessing others).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import LoginFailure, utcnow
from app.config import Settings
from app.errors import DomainError
from app.policies.words import Words


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


def keys(username: str, client_ip: str | None) -> list[str]:
    result = [f"user:{username.strip().lower()}"[:200]]
    if client_ip:
        result.append(f"ip:{client_ip}"[:200])
    return result


async def check(db: AsyncSession, settings: Settings, username: str, client_ip: str | None,
                *, pending: int = 0) -> None:
    """Raise LoginThrottled (with seconds to wait) when the username or the address is locked.

    ``pending`` is how many rows per key this attempt already recorded (``record_attempt``):
    they are counted but do not themselves lock, so the lock holds at ``login_max_failures``
    earlier failures, as before.
    """
    now = utcnow()
    window = timedelta(seconds=settings.login_failure_window)
    result = await db.execute(
        select(LoginFailure.key, LoginFailure.at)
        .where(LoginFailure.key.in_(keys(username, client_ip)), LoginFailure.at > now - window)
        .order_by(LoginFailure.at)
    )
    times: dict[str, list[datetime]] = {}
    for key, at in result.all():
        times.setdefault(key, []).append(at)
    wait = 0
    for found in times.values():
        earlier = len(found) - pending
        if earlier >= settings.login_max_failures:
            # The lock lifts once fewer than the maximum earlier failures remain in the window.
            lifts = found[earlier - settings.login_max_failures]
            remaining = (lifts + window - now).total_seconds()
            wait = max(wait, math.ceil(remaining), 1)
    if wait:
        raise LoginThrottled(wait)


async def record_attempt(db: AsyncSession, settings: Settings, username: str,
                         client_ip: str | None) -> list[int]:
    """Count this password attempt as a failure before the password is checked (the caller
    commits at once, then calls ``check(..., pending=1)``), so parallel attempts all see each
    other. Returns the row ids, for ``forget_attempt`` when it succeeds or is refused."""
    rows = [LoginFailure(key=k, at=utcnow()) for k in keys(username, client_ip)]
    db.add_all(rows)
    await db.execute(
        delete(LoginFailure).where(LoginFailure.at < utcnow() - timedelta(seconds=settings.login_failure_window))
    )
    await db.flush()
    return [row.id for row in rows]


async def forget_attempt(db: AsyncSession, ids: list[int]) -> None:
    """Remove the rows of an attempt that did not fail after all (the caller commits)."""
    if ids:
        await db.execute(delete(LoginFailure).where(LoginFailure.id.in_(ids)))


async def clear_user(db: AsyncSession, username: str) -> None:
    await db.execute(delete(LoginFailure).where(LoginFailure.key == keys(username, None)[0]))
