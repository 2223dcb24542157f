"""Recording and reading the audit log; the diff between an entry's before and after.

``record`` adds an entry to the caller's session and flushes: it commits or rolls back with the
change it describes (a change to the console's own database), so the log never claims a write that
did not happen. A refused or failed write is recorded with ``record_detached``, in a transaction of
its own, because the caller's transaction is about to be rolled back.

A cluster write cannot share a transaction with its entry, so every one goes through
``audited_write``: the intent is committed first (``pending``, with the object before and the
intended after), then the write is sent, then the entry is completed: ``success`` with the object
as the API server returned it, ``failure`` with the server's refusal, or ``unknown`` when no answer
came (the server unreachable, a timeout, a reset connection, a 5xx). A console killed in between
leaves the ``pending`` entry; ``app.audit.reconcile`` settles it against the cluster later. Dry runs
are not writes and are not audited. Every entry keeps the request's id (``app.requestid``).
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Select, bindparam, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import requestid
from app.accounts.models import utcnow
from app.audit.models import (
    FAILURE,
    OUTCOME_WORDS,
    OUTCOMES,
    PENDING,
    SUCCESS,
    UNKNOWN,
    VIAS,
    AuditEntry,
    document,
    shown_yaml,
)
from app.cluster.client import WriteResult
from app.cluster.errors import TooManyRequests
from app.db import autocommit
from app.errors import BadRequest, DomainError, NotFound, Unavailable

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR = 2**63 - 1


def kept(obj: Mapping[str, Any] | None) -> str | None:
    """The object as the log keeps it (JSON, shown as YAML: ``AuditEntry.before_yaml``);
    ``metadata.managedFields`` is left out (noise in a diff)."""
    if obj is None:
        return None
    data = dict(obj)
    meta = data.get("metadata")
    if isinstance(meta, Mapping) and "managedFields" in meta:
        data["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return document(data)


def to_yaml(obj: Mapping[str, Any] | None) -> str | None:
    """The object as an entry shows it: YAML the way kubectl prints it, without managedFields."""
    return shown_yaml(kept(obj), None)


def _entry(
    actor: str, via: str, cluster: str, namespace: str, kind: str, name: str, action: str,
    outcome: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, message: str,
) -> AuditEntry:
    if via not in VIAS:
        raise ValueError(f"via must be one of {VIAS}, not {via!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    request = requestid.current()
    return AuditEntry(
        actor=actor, via=via, cluster=cluster or "", namespace=namespace or "", kind=kind or "",
        name=name or "", action=action, outcome=outcome, message=message or "",
        before_json=kept(before), after_json=kept(after),
        request_id=request[:128] if request else None,
        completed_at=None if outcome == PENDING else utcnow(),
    )


async def record(
    session: AsyncSession,
    actor: str,
    via: str,
    cluster: str,
    namespace: str,
    kind: str,
    name: str,
    action: str,
    outcome: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    message: str = "",
) -> AuditEntry:
    """Add one entry to ``session`` (flushed, not committed: it shares the caller's transaction).

    ``via`` is ``console``, ``api`` or ``cli``; ``outcome`` is ``success`` or ``failure``;
    ``before``/``after`` are the object as dicts (None for a create's before or a delete's after).
    """
    entry = _entry(actor, via, cluster, namespace, kind, name, action, outcome, before, after, message)
    session.add(entry)
    await session.flush()
    return entry


async def record_detached(
    sessions: async_sessionmaker[AsyncSession],
    actor: str,
    via: str,
    cluster: str,
    namespace: str,
    kind: str,
    name: str,
    action: str,
    outcome: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    message: str = "",
) -> AuditEntry:
    """Like ``record``, in a new session committed at once: for failures whose own transaction is
    rolled back. Roll that transaction back *before* calling this (on SQLite an open write
    transaction would lock this one out)."""
    async with sessions() as session:
        entry = await record(session, actor, via, cluster, namespace, kind, name, action, outcome,
                             before, after, message)
        await session.commit()
    return entry


@dataclass(frozen=True)
class Change:
    """A cluster write about to be sent: who, through which door, where, what; the object before
    (None for a create) and the intended after (None for a delete)."""

    actor: str
    via: str
    cluster: str
    namespace: str
    kind: str
    name: str
    action: str
    before: Mapping[str, Any] | None
    intended: Mapping[str, Any] | None


def unanswered(exc: DomainError) -> bool:
    """Whether ``exc`` leaves a write's fate unknown: no answer came, or a server error that may
    follow the write (not a throttle: a 429 is a refusal before any work)."""
    return isinstance(exc, Unavailable) and not isinstance(exc, TooManyRequests)


async def audited_write(
    sessions: async_sessionmaker[AsyncSession],
    change: Change,
    call: Callable[[], Awaitable[WriteResult]],
    *,
    shown: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None,
    withdrawn: Callable[[DomainError], bool] | None = None,
) -> WriteResult:
    """Run the real (not dry-run) cluster write ``call()`` with its audit entry: the intent is
    committed before the call, the outcome after (see the module's docstring).

    The entry's after becomes the object the server returned (``shown(obj)``: the part of it the
    log keeps, e.g. the model's form of a policy; a delete keeps None). ``withdrawn(exc)``: a
    refusal that is not recorded at all, because the caller tries the write again (that attempt
    is recorded). Anything but a domain error (a bug, not the server's answer) leaves ``unknown``.
    """
    intent = _entry(change.actor, change.via, change.cluster, change.namespace, change.kind, change.name,
                    change.action, PENDING, change.before, change.intended, "")  # fmt: skip
    async with autocommit(sessions) as session:
        session.add(intent)
        await session.commit()
        entry_id = intent.id
    try:
        result = await call()
    except DomainError as exc:
        if withdrawn is not None and withdrawn(exc):
            async with sessions() as session:
                await session.execute(delete(AuditEntry).where(AuditEntry.id == entry_id))
                await session.commit()
        else:
            await complete(sessions, entry_id, UNKNOWN if unanswered(exc) else FAILURE, exc.message)
        raise
    except Exception as exc:
        await complete(sessions, entry_id, UNKNOWN, f"{exc.__class__.__name__}: {exc}")
        raise
    after = None if change.intended is None else (shown(result.object) if shown else result.object)
    await complete(sessions, entry_id, SUCCESS, "", after=after, with_after=True)
    return result


# Built once (every write completes its entry; building a statement cost more than running it).
_COMPLETE = update(AuditEntry).where(AuditEntry.id == bindparam("entry_id")).values(
    outcome=bindparam("new_outcome"), message=bindparam("new_message"), completed_at=bindparam("new_completed_at"))
_COMPLETE_AFTER = _COMPLETE.values(after_json=bindparam("new_after"))


async def complete(
    sessions: async_sessionmaker[AsyncSession],
    entry_id: int,
    outcome: str,
    message: str,
    *,
    after: Mapping[str, Any] | None = None,
    with_after: bool = False,
    only_from: tuple[str, ...] = (),
) -> bool:
    """Give entry ``entry_id`` its outcome (and, ``with_after``, its after), in a transaction of
    its own; ``only_from``: only while its outcome is one of these (a conditional UPDATE, so two
    consoles settling one entry do not both). Whether the entry was changed."""
    if outcome not in OUTCOMES or outcome == PENDING:
        raise ValueError(f"an entry is completed with an outcome of {OUTCOMES} but pending, not {outcome!r}")
    values: dict[str, Any] = {"entry_id": entry_id, "new_outcome": outcome, "new_message": message,
                              "new_completed_at": utcnow()}  # fmt: skip
    stmt = _COMPLETE
    if with_after:
        values["new_after"] = kept(after)
        stmt = _COMPLETE_AFTER
    if only_from:
        stmt = stmt.where(AuditEntry.outcome.in_(only_from))
    async with autocommit(sessions) as session:
        changed = (await session.execute(stmt, values)).rowcount  # type: ignore[attr-defined]
        await session.commit()
    return bool(changed)



@dataclass(frozen=True)
class AuditFilter:
    """What the audit page and ``GET /api/v1/audit`` filter by; empty strings mean "any".

    ``cluster``, ``namespace``, ``actor``, ``kind``, ``action``, ``outcome`` and ``via`` match
    exactly; ``name`` matches any object whose name contains it (case-insensitive).
    """

    cluster: str = ""
    namespace: str = ""
    actor: str = ""
    name: str = ""
    kind: str = ""
    action: str = ""
    outcome: str = ""
    via: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, stmt: Select[AuditEntry]) -> Select[AuditEntry]:
        for column, value in (
            (AuditEntry.cluster, self.cluster), (AuditEntry.namespace, self.namespace),
            (AuditEntry.actor, self.actor), (AuditEntry.kind, self.kind),
            (AuditEntry.action, self.action), (AuditEntry.outcome, self.outcome),
            (AuditEntry.via, self.via),
        ):
            if value:
                stmt = stmt.where(column == value)
        if self.name:
            stmt = stmt.where(func.lower(AuditEntry.name).contains(self.name.lower(), autoescape=True))
        if self.since is not None:
            stmt = stmt.where(AuditEntry.at >= self.since)
        if self.until is not None:
            stmt = stmt.where(AuditEntry.at < self.until)
        return stmt


@dataclass
class AuditPage:
    """One page of entries, newest first; ``continue_token`` fetches the next (None at the end)."""

    entries: list[AuditEntry]
    continue_token: str | None = None
    filters: AuditFilter = field(default_factory=AuditFilter)


def _cursor(token: str) -> int:
    try:
        value = int(token)
    except ValueError:
        raise BadRequest(f"invalid continue token {token!r}") from None
    if not 1 <= value <= MAX_CURSOR:  # ids are 64-bit at most; larger ones overflow the driver
        raise BadRequest(f"invalid continue token {token!r}")
    return value


async def query(
    session: AsyncSession,
    filters: AuditFilter | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    continue_token: str | None = None,
) -> AuditPage:
    """Entries matching ``filters``, newest first.

    Page with ``continue_token`` (the previous page's; stable while entries are being added) or
    with ``offset``. ``limit`` is clamped to 1..500.
    """
    filters = filters or AuditFilter()
    limit = max(1, min(int(limit), MAX_LIMIT))
    stmt = filters.apply(select(AuditEntry)).order_by(AuditEntry.id.desc())
    if continue_token:
        # Bound as BIGINT: ids are INTEGER on PostgreSQL, a larger token must not overflow it.
        stmt = stmt.where(AuditEntry.id < literal(_cursor(continue_token), BigInteger()))
    elif offset > 0:
        stmt = stmt.offset(offset)
    rows = list((await session.execute(stmt.limit(limit + 1))).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, str(rows[-1].id) if more and rows else None, filters)


async def history(
    session: AsyncSession, cluster: str, namespace: str, name: str, *, kind: str = "NetworkPolicy",
    limit: int = DEFAULT_LIMIT,
) -> list[AuditEntry]:
    """The recorded changes of one object (exact cluster, namespace, name and kind), newest first."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.cluster == cluster, AuditEntry.namespace == namespace,
               AuditEntry.name == name, AuditEntry.kind == kind)
        .order_by(AuditEntry.id.desc())
        .limit(max(1, min(limit, MAX_LIMIT)))
    )
    return list((await session.execute(stmt)).scalars())


async def get_entry(session: AsyncSession, entry_id: int) -> AuditEntry:
    entry = await session.get(AuditEntry, entry_id)
    if entry is None:
        raise NotFound(f"audit entry {entry_id} not found")
    return entry


def entry_dict(entry: AuditEntry, *, with_diff: bool = False) -> dict[str, Any]:
    """The entry as plain data (for ``GET /api/v1/audit``)."""
    data: dict[str, Any] = {
        "id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor, "via": entry.via,
        "cluster": entry.cluster, "namespace": entry.namespace, "kind": entry.kind, "name": entry.name,
        "action": entry.action, "outcome": entry.outcome, "outcome_text": outcome_text(entry.outcome),
        "message": entry.message, "before": entry.before_yaml, "after": entry.after_yaml,
        "request_id": entry.request_id,
        "completed_at": entry.completed_at.isoformat() if entry.completed_at else None,
    }
    if with_diff:
        data["diff"] = entry_diff(entry)
    return data


def outcome_text(outcome: str) -> str:
    """The outcome in English words (the pages translate them)."""
    return OUTCOME_WORDS.get(outcome, outcome)


def unified_diff(before: str | None, after: str | None, *, label: str = "") -> str:
    """A unified diff (difflib) from ``before`` to ``after``; empty when they are equal."""
    a = (before or "").splitlines(keepends=True)
    b = (after or "").splitlines(keepends=True)
    prefix = f"{label} " if label else ""
    lines = difflib.unified_diff(a, b, fromfile=f"{prefix}(before)", tofile=f"{prefix}(after)", n=3)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def entry_diff(entry: AuditEntry) -> str:
    """The entry's before → after as a unified diff."""
    label = "/".join(p for p in (entry.namespace, entry.name) if p)
    return unified_diff(entry.before_yaml, entry.after_yaml, label=label)


def diff_lines(text: str) -> list[tuple[str, str]]:
    """Classify each diff line for display: ("add" | "del" | "hunk" | "file" | "ctx", line)."""
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        out.append((kind, line))
    return out
