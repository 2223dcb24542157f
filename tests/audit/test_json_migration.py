"""Migration 0008: entries keep their objects as JSON and show them as YAML; older entries keep
their YAML and read as before; a downgrade writes the JSON back as YAML. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from app.audit import service as audit
from app.db import make_engine, make_sessionmaker
from app.migrate import downgrade, upgrade

POLICY: dict[str, Any] = {
    "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
    "metadata": {"name": "web", "namespace": "default", "annotations": {"note": "two\nlines", "zh": "允许"}},
    "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"ports": [{"port": 80}]}]},
}  # fmt: skip
OLD_YAML = "apiVersion: v1\nkind: Old\n"


def _run(url: str, sql: str, **params: Any) -> list[Any]:
    async def go() -> list[Any]:
        engine = make_engine(url)
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            rows = list(result) if result.returns_rows else []
        await engine.dispose()
        return rows

    return asyncio.run(go())


def _entries(url: str) -> list[Any]:
    async def go() -> list[Any]:
        engine = make_engine(url)
        async with make_sessionmaker(engine)() as db:
            page = await audit.query(db)
        await engine.dispose()
        return list(reversed(page.entries))

    return asyncio.run(go())


def test_old_yaml_entries_read_as_before_new_ones_as_json_and_back(database_url: str) -> None:
    upgrade(database_url, "0007")
    _run(database_url, "INSERT INTO audit_entries (at, actor, via, cluster, namespace, kind, name, action, "
                       "outcome, message, before_yaml, after_yaml) VALUES (CURRENT_TIMESTAMP, 'old', 'cli', '', '', "
                       "'Old', 'x', 'update', 'success', '', NULL, :y)", y=OLD_YAML)  # fmt: skip
    upgrade(database_url)

    async def record() -> None:
        engine = make_engine(database_url)
        async with make_sessionmaker(engine)() as db:
            await audit.record(db, "new", "api", "sandbox", "default", "NetworkPolicy", "web", "create",
                               "success", None, POLICY)  # fmt: skip
            await db.commit()
        await engine.dispose()

    asyncio.run(record())
    old, new = _entries(database_url)
    assert (old.after_yaml, old.after_object) == (OLD_YAML, {"apiVersion": "v1", "kind": "Old"})
    stored = _run(database_url, "SELECT after_json, after_yaml FROM audit_entries WHERE actor = 'new'")[0]
    assert stored[1] is None and stored[0].startswith('{"apiVersion":"networking.k8s.io/v1"')
    assert new.after_object == POLICY and new.before_yaml is None
    shown = audit.to_yaml(POLICY)
    assert new.after_yaml == shown and shown.startswith("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n")
    assert "note: |-\n      two\n      lines\n" in shown and "zh: 允许" in shown

    downgrade(database_url, "0007")
    back = _run(database_url, "SELECT after_yaml FROM audit_entries ORDER BY id")
    assert [row[0] for row in back] == [OLD_YAML, shown]
    upgrade(database_url)
    assert [e.after_yaml for e in _entries(database_url)] == [OLD_YAML, shown]
