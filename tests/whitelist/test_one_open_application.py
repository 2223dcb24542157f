"""At most one open (Pending or Approved) application per (cluster, team), under concurrency too:
the partial unique index of migration 0005, ``submit`` mapping its violation to AlreadyExists
inside a savepoint, ``approve`` refusing a second approval, and the migration itself."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Integer, String, Text, column, func, inspect, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import UTCDateTime
from app.audit.models import AuditEntry
from app.db import make_engine, make_sessionmaker
from app.errors import AlreadyExists, Conflict
from app.migrate import downgrade, upgrade
from app.whitelist import service as wl
from app.whitelist.models import WhitelistApplication, WhitelistDecision

Sessions = async_sessionmaker[AsyncSession]
PAT = wl.Actor("pat", "platform", frozenset({"approver"}))
INDEX = "uq_whitelist_applications_open"
APPS_0004 = table(
    "whitelist_applications", column("id", Integer), column("cluster", String), column("team", String),
    column("requester", String), column("reason", Text), column("submitted_at", UTCDateTime()),
    column("status", String), column("comment", Text), column("version", Integer),
)


async def _count(sessions: Sessions, *where: object) -> int:
    async with sessions() as db:
        stmt = select(func.count()).select_from(WhitelistApplication).where(*where)  # type: ignore[arg-type]
        return int((await db.execute(stmt)).scalar_one())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_submit_racing_past_the_check_gets_already_exists_and_keeps_its_work(
    sessions: Sessions,
) -> None:
    """B's check runs while A's insert is uncommitted (invisible to B), so B's insert reaches the
    unique index, waits for A, and fails once A commits: AlreadyExists naming A's application,
    B's session still usable and its earlier work still there."""
    async with sessions() as a_db, sessions() as b_db:
        a_app = await wl.submit(a_db, "prod", "app-team", "alice", "A")
        await wl.submit(b_db, "other", "app-team", "bob", "earlier work of B")
        b_task = asyncio.create_task(wl.submit(b_db, "prod", "app-team", "bob", "B"))
        await asyncio.sleep(0.3)
        assert not b_task.done(), "B's insert should be waiting on A's uncommitted row"
        await a_db.commit()
        with pytest.raises(AlreadyExists, match=rf"#{a_app.id} is Pending"):
            await b_task
        await b_db.commit()
    assert await _count(sessions, WhitelistApplication.cluster == "prod") == 1
    assert await _count(sessions, WhitelistApplication.cluster == "other") == 1
    async with sessions() as db:
        submits = (await db.execute(select(AuditEntry.name).where(
            AuditEntry.action == "application.submit"))).scalars().all()
        assert len(submits) == 2  # B's failed insert left no audit entry behind


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_concurrent_submits_exactly_one_succeeds(sessions: Sessions) -> None:
    async def one(start: asyncio.Event, cluster: str, who: str) -> str:
        async with sessions() as db:
            await start.wait()
            try:
                app = await wl.submit(db, cluster, "app-team", who, "please")
                await asyncio.sleep(0.05)  # keep the transaction open: the other must wait on it
                await db.commit()
            except AlreadyExists:
                await db.rollback()
                return "exists"
            return f"won #{app.id}"

    for round_ in range(4):
        start = asyncio.Event()
        tasks = asyncio.gather(*(one(start, f"c{round_}", who) for who in ("alice", "bob")))
        await asyncio.sleep(0.02)
        start.set()
        results = await tasks
        assert sorted(r == "exists" for r in results) == [False, True], results
        assert await _count(sessions, WhitelistApplication.cluster == f"c{round_}") == 1


async def test_a_rolled_back_submit_leaves_nothing(sessions: Sessions) -> None:
    """The savepoint around the insert must not commit anything by itself (on SQLite a savepoint
    outside a transaction would be the outermost one, and releasing it would commit)."""
    async with sessions() as db:
        await wl.submit(db, "prod", "app-team", "alice", "then changed my mind")
        await db.rollback()
    assert await _count(sessions) == 0
    async with sessions() as db:
        assert (await db.execute(select(func.count()).select_from(AuditEntry))).scalar_one() == 0


async def test_the_database_refuses_a_second_open_application(sessions: Sessions) -> None:
    """Bypassing ``submit``'s check, the index itself refuses a second open application, while
    closed ones (Rejected, Revoked) may repeat."""
    from sqlalchemy.exc import IntegrityError

    from app.accounts.models import utcnow

    def row(status: str) -> WhitelistApplication:
        return WhitelistApplication(cluster="prod", team="app-team", requester="alice", reason="r",
                                    submitted_at=utcnow(), status=status, comment="", version=1)

    async with sessions() as db:
        db.add_all([row("Rejected"), row("Rejected"), row("Revoked"), row("Approved")])
        await db.commit()
    for status in ("Pending", "Approved"):
        async with sessions() as db:
            db.add(row(status))
            with pytest.raises(IntegrityError):
                await db.flush()
            await db.rollback()
    assert await _count(sessions) == 4


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def _seed_duplicates(url: str) -> dict[str, int]:
    """At revision 0004 (no index yet): duplicates as concurrent submits could leave them."""
    from app.accounts.models import utcnow

    engine = make_engine(url)
    ids: dict[str, int] = {}
    async with engine.begin() as conn:  # the table as it was at 0004 (the model has grown since)
        for key, cluster, status in (("p1", "prod", "Pending"), ("a1", "prod", "Approved"),
                                     ("a2", "prod", "Approved"), ("q1", "qa", "Pending"),
                                     ("q2", "qa", "Pending"), ("r1", "qa", "Rejected")):
            result = await conn.execute(APPS_0004.insert().returning(APPS_0004.c.id).values(
                cluster=cluster, team="app-team", requester="alice", reason=key, submitted_at=utcnow(),
                status=status, comment="", version=1))
            ids[key] = result.scalar_one()
    await engine.dispose()
    return ids


async def _state(url: str) -> tuple[dict[int, str], list[tuple[int, str, str]], dict[str, object] | None]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        def indexes(c):  # type: ignore[no-untyped-def]
            found = [i for i in inspect(c).get_indexes("whitelist_applications") if i["name"] == INDEX]
            return found[0] if found else None
        index = await conn.run_sync(indexes)
    async with make_sessionmaker(engine)() as db:
        rows = await db.execute(select(WhitelistApplication.id, WhitelistApplication.status))
        statuses = {app_id: status for app_id, status in rows.all()}
        decisions = [(d.application_id, d.action, d.actor)
                     for d in (await db.execute(select(WhitelistDecision))).scalars()]
    await engine.dispose()
    return statuses, decisions, index


def test_0005_closes_duplicates_and_goes_up_down_up(database_url: str) -> None:
    upgrade(database_url, "0004")
    ids = _run(_seed_duplicates(database_url))
    upgrade(database_url, "0005")
    statuses, decisions, index = _run(_state(database_url))
    assert index is not None and index["unique"] and index["column_names"] == ["cluster", "team"]
    # prod: the first Approved stays; the other Approved is revoked, the Pending rejected.
    # qa: the oldest Pending stays; the other is rejected; the Rejected one is untouched.
    assert statuses == {ids["p1"]: "Rejected", ids["a1"]: "Approved", ids["a2"]: "Revoked",
                        ids["q1"]: "Pending", ids["q2"]: "Rejected", ids["r1"]: "Rejected"}
    assert sorted(decisions) == sorted([(ids["p1"], "reject", "system"), (ids["a2"], "revoke", "system"),
                                        (ids["q2"], "reject", "system")])
    downgrade(database_url, "0004")
    assert _run(_state(database_url))[2] is None
    upgrade(database_url, "0005")
    assert _run(_state(database_url))[2] is not None


def test_approve_refuses_when_another_application_is_approved(database_url: str) -> None:
    """Belt and braces: even where the index is missing (as on a database at 0004), approve refuses."""
    upgrade(database_url)

    async def drop_index() -> None:
        engine = make_engine(database_url)
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP INDEX {INDEX}"))
        await engine.dispose()

    _run(drop_index())

    async def scenario() -> None:
        from app.accounts.models import utcnow

        engine = make_engine(database_url)
        sessions = make_sessionmaker(engine)
        async with sessions() as db:
            apps = [WhitelistApplication(cluster="prod", team="app-team", requester="alice", reason="r",
                                         submitted_at=utcnow(), status="Pending", comment="", version=1)
                    for _ in range(2)]
            db.add_all(apps)
            await db.commit()
            first, second = apps[0].id, apps[1].id
        async with sessions() as db:
            await wl.approve(db, first, PAT)
            await db.commit()
        async with sessions() as db:
            with pytest.raises(Conflict, match=rf"already holds approved application #{first}"):
                await wl.approve(db, second, PAT)
            await db.rollback()
        async with sessions() as db:
            assert (await wl.get_application(db, second)).status == "Pending"
            # Rejecting the duplicate is still possible.
            await wl.reject(db, second, PAT, "duplicate")
            await db.commit()
        await engine.dispose()

    _run(scenario())


async def test_key_paging_and_its_bounds_on_both_databases(sessions: Sessions) -> None:
    """``before_id`` pages by key (no repeats after a submit); tokens up to 2**63-1 work on
    PostgreSQL too (ids are INTEGER there), larger or non-positive ones are BadRequest."""
    from app.audit import service as audit
    from app.errors import BadRequest

    async with sessions() as db:
        ids = [(await wl.submit(db, "prod", f"t{i}", "alice", "r")).id for i in range(4)]
        await db.commit()
    async with sessions() as db:
        first = await wl.list_applications(db, limit=2)
        assert [a.id for a in first] == [ids[3], ids[2]]
        await wl.submit(db, "prod", "t-new", "alice", "r")
        await db.commit()
        rest = await wl.list_applications(db, limit=2, before_id=first[-1].id)
        assert [a.id for a in rest] == [ids[1], ids[0]]
        assert len(await wl.list_applications(db, before_id=2**63 - 1)) == 5
        assert len((await audit.query(db, continue_token=str(2**63 - 1))).entries) == 5
        for bad in (0, -1, 2**63):
            with pytest.raises(BadRequest):
                await wl.list_applications(db, before_id=bad)
            with pytest.raises(BadRequest):
                await audit.query(db, continue_token=str(bad))
