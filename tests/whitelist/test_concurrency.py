"""Two approvers deciding one application at the same moment, on separate connections: exactly
one decision wins, the other is told who won, and the row and its history agree."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import Conflict
from app.whitelist import service as wl

PAT = wl.Actor("pat", "platform", frozenset({"approver"}))
QUINN = wl.Actor("quinn", "platform", frozenset({"approver"}))


async def _decide(sessions: async_sessionmaker[AsyncSession], start: asyncio.Event, app_id: int,
                  action: str, who: wl.Actor) -> str:
    async with sessions() as db:
        # Both read the Pending row first, then race for the UPDATE.
        app = await wl.get_application(db, app_id)
        assert app.status == "Pending"
        await start.wait()
        try:
            await wl.decide(db, app_id, action, who, f"{who.username} says {action}")
            await asyncio.sleep(0.05)  # hold the row lock a moment: the other UPDATE must wait
            await db.commit()
        except Conflict as exc:
            await db.rollback()
            return f"conflict: {exc}"
        return "won"


async def test_two_approvers_deciding_at_once_one_wins(sessions: async_sessionmaker[AsyncSession]) -> None:
    for round_ in range(3):
        async with sessions() as db:
            app = await wl.submit(db, f"c{round_}", "app-team", "alice", "please")
            await db.commit()
            app_id = app.id
        start = asyncio.Event()
        tasks = asyncio.gather(
            _decide(sessions, start, app_id, "approve", PAT),
            _decide(sessions, start, app_id, "reject", QUINN),
        )
        await asyncio.sleep(0.05)
        start.set()
        results = await tasks
        assert sorted(r == "won" for r in results) == [False, True], results
        winner, action = (PAT, "approve") if results[0] == "won" else (QUINN, "reject")
        loser_message = next(r for r in results if r != "won")
        assert f"already decided by {winner.username}" in loser_message
        async with sessions() as db:
            row = await wl.get_application(db, app_id)
            assert row.decided_by == winner.username
            assert row.status == ("Approved" if action == "approve" else "Rejected")
            assert row.version == 2
            assert row.comment == f"{winner.username} says {action}"
            history = await wl.decisions(db, app_id)
            assert [(d.action, d.actor) for d in history] == [(action, winner.username)]
