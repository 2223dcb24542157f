"""Settling the cluster writes whose fate the log does not know (``pending``: the console stopped
between the intent and the answer; ``unknown``: no answer came) against the cluster itself.

Each such entry's object is read live and the entry becomes ``applied`` when the cluster holds the
intended change, else ``not_applied``, with a message saying when and how it was settled:

* a delete is applied when the object is gone, being deleted, or another object (another uid)
  now has its name;
* a create or an update is applied when the object holds the intended after: every field the
  write set (``spec``, ``data``, the labels and annotations, at any depth, a list item by item)
  has the intended value, and a label, annotation or data key the write removed is gone. Fields
  the server fills in (defaults, status, resourceVersion) are not compared.

A cluster that cannot be reached, or that the console no longer knows, leaves its entries as they
are for a later pass. The console runs a pass at start (every unsettled entry written before it
started) and then every ``EVERY`` seconds (entries unsettled for longer than ``EVERY``, so that
a write still in flight in a second console on the same database is not settled under it; should
one be, its own completion overwrites the verdict: the console that wrote knows best).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import utcnow
from app.audit.models import APPLIED, NOT_APPLIED, UNSETTLED, AuditEntry
from app.audit.service import complete
from app.cluster.client import Cluster
from app.errors import DomainError, NotFound, Unavailable

log = logging.getLogger(__name__)

EVERY = 300.0  # seconds between passes after the one at start
# Compared besides the top-level fields other than these: what a write sets in metadata.
_IGNORED_TOP = ("apiVersion", "kind", "metadata", "status")
_METADATA_KEPT = ("labels", "annotations")
# Maps whose keys a write may remove (a merge patch's null): a removed key must be gone.
_KEYED_MAPS = ("labels", "annotations", "data")


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def _holds(live: Any, want: Any, was: Any = None, key: str = "") -> bool:
    """Whether ``live`` holds everything ``want`` sets (and, in a keyed map, lacks what ``was``
    had and ``want`` dropped)."""
    if isinstance(want, Mapping):
        if live is None:
            live = {}
        if not isinstance(live, Mapping):
            return False
        old = was if isinstance(was, Mapping) else {}
        if key in _KEYED_MAPS and any(k in live for k in old if k not in want):
            return False
        return all(_holds(live.get(k), v, old.get(k), k) for k, v in want.items())
    if isinstance(want, list):
        if not want:
            return _empty(live)
        if not isinstance(live, list) or len(live) != len(want):
            return False
        olds = was if isinstance(was, list) and len(was) == len(want) else [None] * len(want)
        return all(_holds(a, b, c, key) for a, b, c in zip(live, want, olds, strict=True))
    if want is None:
        return _empty(live)
    return bool(live == want)


def _compared(obj: Mapping[str, Any] | None) -> dict[str, Any]:
    """The part of an object a write decides."""
    if not obj:
        return {}
    meta = obj.get("metadata") or {}
    out = {k: v for k, v in obj.items() if k not in _IGNORED_TOP}
    out["metadata"] = {k: meta[k] for k in _METADATA_KEPT if k in meta}
    return out


def verdict(entry: AuditEntry, live: Mapping[str, Any] | None) -> tuple[str, str]:
    """``(applied | not_applied, why)`` for ``entry`` given the object on the cluster now (None:
    there is none)."""
    before, intended = entry.before_object, entry.after_object
    meta = (live or {}).get("metadata") or {}
    version = f" (resourceVersion {meta['resourceVersion']})" if meta.get("resourceVersion") else ""
    if intended is None:  # a delete
        if live is None:
            return APPLIED, "the object is gone"
        if meta.get("deletionTimestamp"):
            return APPLIED, f"the object is being deleted{version}"
        old_uid = ((before or {}).get("metadata") or {}).get("uid")
        if old_uid and meta.get("uid") and meta["uid"] != old_uid:
            return APPLIED, f"the object was deleted; another of the same name (uid {meta['uid']}) exists now"
        return NOT_APPLIED, f"the object is still there{version}"
    if live is None:
        return NOT_APPLIED, "the object does not exist"
    if _holds(_compared(live), _compared(intended), _compared(before)):
        return APPLIED, f"the object holds the intended change{version}"
    return NOT_APPLIED, f"the object does not hold the intended change{version}"


@dataclass
class Pass:
    """What one pass did: entries settled, and those left (their cluster unreachable or unknown)."""

    settled: int = 0
    left: int = 0


async def _unsettled(sessions: async_sessionmaker[AsyncSession], written_before: datetime) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.outcome.in_(UNSETTLED), AuditEntry.cluster != "", AuditEntry.at < written_before)
        .order_by(AuditEntry.id)
    )
    async with sessions() as session:
        return list((await session.execute(stmt)).scalars())


def _cluster(clusters: Iterable[Cluster], name: str) -> Cluster | None:
    return next((c for c in clusters if c.name == name), None)


async def reconcile(
    sessions: async_sessionmaker[AsyncSession],
    clusters: Iterable[Cluster],
    *,
    written_before: datetime,
    when: str = "at start",
) -> Pass:
    """Settle every unsettled cluster write recorded before ``written_before``; ``when`` says in
    the entries' message when this happened ("at start")."""
    done = Pass()
    clusters = list(clusters)
    unreachable: set[str] = set()
    for entry in await _unsettled(sessions, written_before):
        cluster = _cluster(clusters, entry.cluster)
        if cluster is None or entry.cluster in unreachable:
            done.left += 1
            continue
        namespace = None if entry.kind == "Namespace" else entry.namespace or None
        try:
            live: Mapping[str, Any] | None = await cluster.get_object(entry.kind, namespace, entry.name)
        except NotFound:
            live = None
        except Unavailable as exc:
            log.warning("audit: cluster %s unreachable, %s left unsettled: %s", entry.cluster, entry.id, exc.message)
            unreachable.add(entry.cluster)
            done.left += 1
            continue
        except DomainError as exc:  # e.g. Forbidden: the console may not read this kind there
            log.warning("audit: entry %s left unsettled: %s", entry.id, exc.message)
            done.left += 1
            continue
        outcome, why = verdict(entry, live)
        was = f"{entry.outcome}{': ' + entry.message if entry.message else ''}"
        message = f"Reconciled {when} {utcnow():%Y-%m-%d %H:%M:%S} UTC ({was}): {why}"
        if await complete(sessions, entry.id, outcome, message, only_from=UNSETTLED):
            done.settled += 1
    return done


async def keep_settled(
    sessions: async_sessionmaker[AsyncSession], clusters: Iterable[Cluster], *, every: float = EVERY
) -> None:
    """A pass at start, then one every ``every`` seconds, until cancelled; a failing pass is
    logged and tried again at the next."""
    started = utcnow()
    first = True
    while True:
        written_before = started if first else utcnow() - timedelta(seconds=every)
        try:
            done = await reconcile(sessions, clusters, written_before=written_before,
                                   when="at start" if first else "later")  # fmt: skip
            if done.settled or done.left:
                log.info("audit: %d unsettled writes settled, %d left", done.settled, done.left)
        except Exception:  # the next pass tries again; the console keeps serving meanwhile
            log.exception("audit: reconciliation failed")
        first = False
        await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def settling(
    sessions: async_sessionmaker[AsyncSession], clusters: Iterable[Cluster]
) -> AsyncIterator[asyncio.Task[None]]:
    """``keep_settled`` in the background for as long as the block runs (the app's lifespan)."""
    task = asyncio.create_task(keep_settled(sessions, clusters), name="audit-reconcile")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
