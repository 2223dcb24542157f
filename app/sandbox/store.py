"""The object store: every object in memory, written through to SQLite, with a watch history.

Objects held here are never mutated in place: writers hand in a fresh dict, so readers may share
them freely. One global counter gives every write its resourceVersion, as etcd's revision does.
"""

from __future__ import annotations

import asyncio
import builtins
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, delete, event, select
from sqlalchemy.dialects.sqlite import insert

_meta = MetaData()
_objects = Table(
    "objects",
    _meta,
    Column("resource", String, primary_key=True),
    Column("namespace", String, primary_key=True),
    Column("name", String, primary_key=True),
    Column("body", Text, nullable=False),
)
_counters = Table("counters", _meta, Column("key", String, primary_key=True), Column("value", Integer))

HISTORY_SIZE = 2000
# Events one watcher may hold undelivered; a watcher that falls this far behind is ended (its client
# re-watches from the last resourceVersion it saw, or gets 410 Expired), so the store never blocks.
WATCH_QUEUE_SIZE = 1000

Key = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped objects


@dataclass(frozen=True)
class Event:
    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    resource: str
    obj: dict[str, Any]


class Watcher:
    """One open watch: events arrive on ``queue``; ``None`` means the watch is over (the store is
    closing, or this watcher fell ``WATCH_QUEUE_SIZE`` events behind and was dropped)."""

    def __init__(self) -> None:
        self.bound = WATCH_QUEUE_SIZE
        # One slot beyond the bound stays free for the closing ``None``.
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(self.bound + 1)
        self.overflowed = False

    def offer(self, ev: Event) -> bool:
        """Queue ``ev`` without blocking; ``False`` (and the watch ended) when the bound is reached."""
        if self.queue.qsize() >= self.bound:
            self.overflowed = True
            self.end(drop_pending=True)
            return False
        self.queue.put_nowait(ev)
        return True

    def end(self, *, drop_pending: bool = False) -> None:
        """End the watch after its pending events, or at once dropping them (the client then
        resumes from the last resourceVersion it received)."""
        if drop_pending or self.queue.full():
            while not self.queue.empty():
                self.queue.get_nowait()
        self.queue.put_nowait(None)


class Store:
    def __init__(self, db_path: Path) -> None:
        self.engine = create_engine(f"sqlite:///{db_path}")
        event.listen(self.engine, "connect", _sqlite_pragmas)
        _meta.create_all(self.engine)
        self.objects: dict[str, dict[Key, dict[str, Any]]] = {}
        self.rv = 0
        with self.engine.connect() as conn:
            for row in conn.execute(select(_objects)):
                self.objects.setdefault(row.resource, {})[(row.namespace, row.name)] = json.loads(row.body)
            value = conn.execute(select(_counters.c.value).where(_counters.c.key == "rv")).scalar()
            self.rv = int(value or 0)
        self.fresh = self.rv == 0
        # A watch may resume from any resourceVersion >= oldest_rv; older ones are 410 Expired.
        self.oldest_rv = self.rv
        self.history: deque[Event] = deque(maxlen=HISTORY_SIZE)
        self.watchers: set[Watcher] = set()
        self.listeners: list[Callable[[Event], None]] = []
        self.closed = False

    # -- reads -------------------------------------------------------------------------------
    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self.objects.get(resource, {}).get((namespace, name))

    def list(self, resource: str, namespace: str | None = None) -> builtins.list[dict[str, Any]]:
        items = self.objects.get(resource, {})
        keys = sorted(k for k in items if namespace is None or k[0] == namespace)
        return [items[k] for k in keys]

    # -- writes ------------------------------------------------------------------------------
    def next_rv(self) -> int:
        return self.rv + 1

    def put(self, resource: str, obj: dict[str, Any], event_type: str) -> dict[str, Any]:
        """Store ``obj`` (ADDED or MODIFIED) under a new resourceVersion; returns the stored object."""
        self.rv += 1
        obj = {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(self.rv)}}
        meta = obj["metadata"]
        key = (meta.get("namespace") or "", meta["name"])
        with self.engine.begin() as conn:
            conn.execute(
                insert(_objects)
                .values(resource=resource, namespace=key[0], name=key[1], body=json.dumps(obj))
                .on_conflict_do_update(
                    index_elements=["resource", "namespace", "name"], set_={"body": json.dumps(obj)}
                )
            )
            self._save_rv(conn)
        self.objects.setdefault(resource, {})[key] = obj
        self._emit(Event(self.rv, event_type, resource, obj))
        return obj

    def remove(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        """Delete an object; returns its last state carrying the deletion's resourceVersion."""
        old = self.objects.get(resource, {}).pop((namespace, name), None)
        if old is None:
            return None
        self.rv += 1
        with self.engine.begin() as conn:
            conn.execute(
                delete(_objects).where(
                    (_objects.c.resource == resource)
                    & (_objects.c.namespace == namespace)
                    & (_objects.c.name == name)
                )
            )
            self._save_rv(conn)
        gone = {**old, "metadata": {**old["metadata"], "resourceVersion": str(self.rv)}}
        self._emit(Event(self.rv, "DELETED", resource, gone))
        return gone

    def _save_rv(self, conn: Any) -> None:
        conn.execute(
            insert(_counters)
            .values(key="rv", value=self.rv)
            .on_conflict_do_update(index_elements=["key"], set_={"value": self.rv})
        )

    def _emit(self, ev: Event) -> None:
        if len(self.history) == self.history.maxlen:
            self.oldest_rv = self.history[0].rv
        self.history.append(ev)
        for w in list(self.watchers):
            if not w.offer(ev):
                self.watchers.discard(w)
        for listener in self.listeners:
            listener(ev)

    # -- watches -----------------------------------------------------------------------------
    def watch(self) -> Watcher:
        w = Watcher()
        if self.closed:
            w.end()
        else:
            self.watchers.add(w)
        return w

    def unwatch(self, w: Watcher) -> None:
        self.watchers.discard(w)

    def events_since(self, rv: int) -> builtins.list[Event] | None:
        """Kept events after ``rv``; ``None`` when ``rv`` is older than what is kept (410 Expired)."""
        if rv < self.oldest_rv:
            return None
        return [e for e in self.history if e.rv > rv]

    def close_watches(self) -> None:
        self.closed = True
        for w in self.watchers:
            w.end()
        self.watchers.clear()

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
