"""Login throttling against password guessing, kept in the database (any process sees it).

Each failed password login adds a row for the username and one for the client address. When
either has ``login_max_failures`` rows within ``login_failure_window`` seconds, further attempts
are refused with 429 until the oldest of them leaves the window — even with the right password,
so guessing gains nothing. A successful login clears its username's failures (not the address's,
or one known account would reset the counter for guessing others).
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import LoginFailure, utcnow
from app.config import Settings
from app.errors import DomainError


class LoginThrottled(DomainError):
    status_code = 429
    reason = "TooManyRequests"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Too many failed sign-in attempts. Try again in {minutes} {unit}.")
        self.retry_after = retry_after


def keys(username: str, client_ip: str | None) -> list[str]:
    result = [f"user:{username.strip().lower()}"[:200]]
    if client_ip:
        result.append(f"ip:{client_ip}"[:200])
    return result


async def check(db: AsyncSession, settings: Settings, username: str, client_ip: str | None) -> None:
    """Raise LoginThrottled (with seconds to wait) when the username or the address is locked."""
    now = utcnow()
    since = now - timedelta(seconds=settings.login_failure_window)
    result = await db.execute(
        select(LoginFailure.key, func.count(), func.min(LoginFailure.at))
        .where(LoginFailure.key.in_(keys(username, client_ip)), LoginFailure.at > since)
        .group_by(LoginFailure.key)
    )
    wait = 0
    for _key, count, oldest in result.all():
        if count >= settings.login_max_failures:
            # min() keeps the column's type, so this is an aware datetime on every database.
            remaining = (oldest + timedelta(seconds=settings.login_failure_window) - now).total_seconds()
            wait = max(wait, math.ceil(remaining), 1)
    if wait:
        raise LoginThrottled(wait)


async def record_failure(db: AsyncSession, settings: Settings, username: str, client_ip: str | None) -> None:
    """Add the failure rows and drop rows that left the window (the caller commits)."""
    now = utcnow()
    db.add_all([LoginFailure(key=k, at=now) for k in keys(username, client_ip)])
    await db.execute(
        delete(LoginFailure).where(LoginFailure.at < now - timedelta(seconds=settings.login_failure_window))
    )
    await db.flush()


async def clear_user(db: AsyncSession, username: str) -> None:
    await db.execute(delete(LoginFailure).where(LoginFailure.key == keys(username, None)[0]))
