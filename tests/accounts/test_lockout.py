"""Lockout counted per address and per account, separately (``app.accounts.throttle``): one
address hammering someone's account locks that address, and the account only briefly, and not at
all at the owner's usual address; guessing spread over many addresses locks the account for a
growing time. Requests come from chosen client addresses (the ASGI transport's ``client``)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.accounts import throttle
from app.accounts.models import LoginAddress, LoginFailure
from app.accounts.service import create_user
from tests.accounts.conftest import BASE, ConsoleFactory, login

VICTIM_PASSWORD = "victim-owns-this-pw"


def client_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url=BASE)


async def _victim(app: FastAPI) -> None:
    async with app.state.sessions() as db:
        await create_user(db, "victor", team="t", roles=["viewer"], password=VICTIM_PASSWORD)
        await db.commit()


async def _age(app: FastAPI, seconds: float) -> None:
    """Let time pass for the throttle: every failure moves ``seconds`` into the past."""
    async with app.state.sessions() as db:
        for failure in (await db.execute(select(LoginFailure))).scalars():
            failure.at -= timedelta(seconds=seconds)
        await db.commit()


async def _wait_at(app: FastAPI, address: str) -> int:
    """The seconds a sign-in to victor from ``address`` would be told to wait (0: none)."""
    async with app.state.sessions() as db:
        try:
            await throttle.check(db, app.state.settings, "victor", address)
        except throttle.LoginThrottled as exc:
            return exc.retry_after
    return 0


def test_the_account_lock_is_short_and_grows_to_a_bound() -> None:
    assert [throttle.account_lock(n, 5) for n in (0, 4, 5, 9, 10, 15, 20)] == [0, 0, 30, 30, 60, 120, 240]
    assert throttle.account_lock(10_000, 5) == throttle.ACCOUNT_LOCK_MAX == 15 * 60


async def test_one_address_hammering_an_account_locks_itself_not_the_owner(
    make_console: ConsoleFactory, database_url: str
) -> None:
    async with make_console(database_url=database_url) as (app, _):
        await _victim(app)
        async with client_at(app, "10.0.0.66") as attacker, client_at(app, "10.0.0.7") as home, \
                client_at(app, "10.0.0.8") as travel:
            # The owner has signed in from home before: a known address of the account.
            assert (await login(home, "victor", VICTIM_PASSWORD)).status_code == 303

            for _ in range(5):
                assert (await login(attacker, "victor", "guess-a-password")).status_code == 401
            # The attacker's address is locked for the window, for every account, even with the
            # right password.
            locked = await login(attacker, "victor", VICTIM_PASSWORD)
            assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 200
            assert (await login(attacker, "admin", "another-guess")).status_code == 429

            # From an address the account never used: a short lock (30 s after the last failure).
            short = await login(travel, "victor", VICTIM_PASSWORD)
            assert short.status_code == 429
            assert 1 <= int(short.headers["Retry-After"]) <= throttle.ACCOUNT_LOCK
            assert "Try again in 1 minute." in short.text
            await _age(app, throttle.ACCOUNT_LOCK + 1)
            assert (await login(travel, "victor", VICTIM_PASSWORD)).status_code == 303
            # ... while the attacker's address stays locked.
            assert (await login(attacker, "victor", VICTIM_PASSWORD)).status_code == 429

            # It goes on guessing once a minute for a quarter of an hour (as fast as its locks let
            # it): one address counts at most five failures against the account, so the lock a
            # newcomer meets never grows past the short one.
            await _age(app, 300)  # its own lock lifts
            waits = []
            for _ in range(15):
                await _age(app, 61)
                assert (await login(attacker, "victor", "guess-again-pw")).status_code == 401
                waits.append(await _wait_at(app, "10.0.3.1"))
            assert waits[:4] == [0, 0, 0, 0]  # the success at travel cleared the account's count
            assert all(1 <= w <= throttle.ACCOUNT_LOCK for w in waits[4:]), waits
            # The owner at home is not stopped at all.
            async with client_at(app, "10.0.0.7") as home_again:
                assert (await login(home_again, "victor", VICTIM_PASSWORD)).status_code == 303


async def test_guessing_spread_over_many_addresses_locks_the_account_for_a_growing_time(
    make_console: ConsoleFactory, database_url: str
) -> None:
    async with make_console(database_url=database_url) as (app, _):
        await _victim(app)
        async with client_at(app, "10.0.1.7") as home:
            assert (await login(home, "victor", VICTIM_PASSWORD)).status_code == 303
        waits, failed = [], []
        for round_ in range(8):
            # Each guess from an address of its own: no address comes near its own lock.
            failures = 0
            for n in range(20):
                async with client_at(app, f"10.9.{round_}.{n}") as bot:
                    answer = await login(bot, "victor", "distributed-guess")
                if answer.status_code == 429:
                    waits.append(int(answer.headers["Retry-After"]))
                    break
                assert answer.status_code == 401
                failures += 1
            failed.append(failures)
            async with client_at(app, f"10.9.{round_}.99") as bot:  # the right password too
                assert (await login(bot, "victor", VICTIM_PASSWORD)).status_code == 429
            await _age(app, waits[-1] + 1)  # the lock lifts; the failures stay in the account's hour
        # Five guesses, then one per lock, the lock doubling with every five more failures.
        assert failed == [5, 1, 1, 1, 1, 1, 1, 1]
        lock = throttle.ACCOUNT_LOCK
        assert all(lock - 10 <= w <= lock for w in waits[:5]), waits
        assert all(2 * lock - 10 <= w <= 2 * lock for w in waits[5:]), waits
        # The owner's usual address is never locked out by it.
        async with client_at(app, "10.0.1.7") as home:
            assert (await login(home, "victor", VICTIM_PASSWORD)).status_code == 303


async def test_failures_and_known_addresses_are_rows_in_the_database(
    make_console: ConsoleFactory, database_url: str
) -> None:
    """Two consoles on one database share them: the rows are the lock, not a process's memory."""
    async with make_console(database_url=database_url) as (app, _):
        await _victim(app)
        async with client_at(app, "10.0.2.1") as c:
            await login(c, "victor", "one-wrong-guess")
            await login(c, "victor", VICTIM_PASSWORD)
        async with app.state.sessions() as db:
            known = [(a.username, a.address) for a in (await db.execute(select(LoginAddress))).scalars()]
            failures = [(f.key, f.address) for f in (await db.execute(select(LoginFailure))).scalars()]
    assert known == [("victor", "10.0.2.1")]
    assert failures == [("ip:10.0.2.1", "10.0.2.1")]  # the account's were cleared by the success
