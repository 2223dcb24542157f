"""Login throttling: after N failures within the window, 429 with Retry-After and a clear
message — per username and per client address, kept in the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import LoginFailure
from tests.accounts.conftest import ConsoleFactory, login


async def test_fifth_failure_locks_the_username_even_for_the_right_password(
    make_console: ConsoleFactory,
) -> None:
    async with make_console() as (_app, client):  # the defaults: 5 failures within 5 minutes
        for _ in range(5):
            assert (await login(client, password="wrong-password")).status_code == 401
        locked = await login(client)
        assert locked.status_code == 429
        assert 1 <= int(locked.headers["Retry-After"]) <= 300
        assert "Too many failed sign-in attempts. Try again in 5 minutes." in locked.text
        assert (await client.get("/")).status_code == 303


async def test_throttling_counts_per_client_address_across_usernames(
    make_console: ConsoleFactory, database_url: str
) -> None:
    async with make_console(database_url=database_url, login_max_failures=3) as (_app, client):
        for name in ("a1", "a2", "a3"):
            assert (await login(client, username=name, password="guess-123")).status_code == 401
        assert (await login(client)).status_code == 429


async def test_the_lock_lifts_when_the_window_passes_and_success_clears_the_count(
    make_console: ConsoleFactory,
) -> None:
    async with make_console(login_max_failures=2, login_failure_window=300) as (app, client):
        await login(client, password="wrong-password")
        await login(client, password="wrong-password")
        assert (await login(client)).status_code == 429
        async with app.state.sessions() as db:  # let the failures age past the window
            for failure in (await db.execute(select(LoginFailure))).scalars():
                failure.at -= timedelta(seconds=301)
            await db.commit()
        assert (await login(client)).status_code == 303
        await login(client, password="wrong-password")
        assert (await login(client)).status_code == 303, "one failure after a success locked the user"
