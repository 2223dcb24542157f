"""The audit log over a real database: recording, filtering, paging, a policy's history, diffs."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit import service as audit
from app.errors import BadRequest, NotFound

Sessions = async_sessionmaker[AsyncSession]


def _policy(name: str, port: int, namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "managedFields": [{"manager": "kubectl"}]},
        "spec": {"podSelector": {"matchLabels": {"app": name}},
                 "ingress": [{"ports": [{"port": port, "protocol": "TCP"}]}]},
    }


async def test_record_stores_yaml_before_and_after(sessions: Sessions) -> None:
    async with sessions() as db:
        entry = await audit.record(db, "alice", "console", "sandbox", "default", "NetworkPolicy", "web",
                                   "update", "success", _policy("web", 80), _policy("web", 8080))
        await db.commit()
    async with sessions() as db:
        stored = await audit.get_entry(db, entry.id)
        assert (stored.actor, stored.via, stored.cluster, stored.namespace, stored.kind, stored.name,
                stored.action, stored.outcome, stored.message) == (
            "alice", "console", "sandbox", "default", "NetworkPolicy", "web", "update", "success", "")
        assert stored.at.tzinfo is not None
        assert stored.before_yaml is not None and stored.after_yaml is not None
        assert stored.before_yaml.startswith("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n")
        assert "port: 80\n" in stored.before_yaml and "port: 8080\n" in stored.after_yaml
        assert "managedFields" not in stored.before_yaml
        data = audit.entry_dict(stored, with_diff=True)
        assert (data["actor"], data["action"], data["after"]) == ("alice", "update", stored.after_yaml)
        assert "+    - port: 8080" in data["diff"]
        with pytest.raises(NotFound):
            await audit.get_entry(db, entry.id + 1000)


async def test_record_refuses_unknown_via_and_outcome(sessions: Sessions) -> None:
    async with sessions() as db:
        with pytest.raises(ValueError, match="via"):
            await audit.record(db, "a", "carrier-pigeon", "", "", "", "", "create", "success", None, None)
        with pytest.raises(ValueError, match="outcome"):
            await audit.record(db, "a", "api", "", "", "", "", "create", "maybe", None, None)


async def test_a_failure_recorded_detached_survives_the_rollback(sessions: Sessions) -> None:
    async with sessions() as db:
        await audit.record(db, "alice", "console", "sandbox", "default", "NetworkPolicy", "web",
                           "create", "success", None, _policy("web", 80))
        await db.rollback()  # first: on SQLite our open write transaction would lock the other one out
        await audit.record_detached(sessions, "alice", "console", "sandbox", "default", "NetworkPolicy",
                                    "web", "create", "failure", None, _policy("web", 80),
                                    message="Forbidden: not whitelisted")
    async with sessions() as db:
        entries = (await audit.query(db)).entries
        assert [(e.outcome, e.message) for e in entries] == [("failure", "Forbidden: not whitelisted")]


async def _seed(sessions: Sessions) -> None:
    async with sessions() as db:
        rows = [
            ("alice", "console", "sandbox", "default", "web", "create"),
            ("bob", "api", "sandbox", "shop", "db", "create"),
            ("alice", "api", "prod", "default", "web", "create"),
            ("alice", "console", "sandbox", "default", "web", "update"),
            ("carol", "cli", "sandbox", "default", "Web-Frontend", "delete"),
        ]
        for actor, via, cluster, ns, name, action in rows:
            await audit.record(db, actor, via, cluster, ns, "NetworkPolicy", name, action, "success",
                               None, {"n": name})
        await db.commit()


async def test_query_filters_by_cluster_namespace_actor_and_object(sessions: Sessions) -> None:
    await _seed(sessions)
    F = audit.AuditFilter

    async def names(f: audit.AuditFilter) -> list[tuple[str, str, str]]:
        async with sessions() as db:
            return [(e.actor, e.name, e.action) for e in (await audit.query(db, f)).entries]

    assert len(await names(F())) == 5
    assert await names(F(cluster="prod")) == [("alice", "web", "create")]
    assert await names(F(cluster="sandbox", namespace="shop")) == [("bob", "db", "create")]
    assert await names(F(actor="alice", cluster="sandbox")) == [("alice", "web", "update"),
                                                               ("alice", "web", "create")]
    # the object filter matches a part of the name, case-insensitively
    assert [n for _, n, _ in await names(F(name="WEB"))] == ["Web-Frontend", "web", "web", "web"]
    assert await names(F(name="%")) == []  # wildcards are literal
    assert await names(F(via="cli")) == [("carol", "Web-Frontend", "delete")]


async def test_query_pages_with_continue_and_offset(sessions: Sessions) -> None:
    await _seed(sessions)
    async with sessions() as db:
        first = await audit.query(db, limit=2)
        assert len(first.entries) == 2 and first.continue_token
        second = await audit.query(db, limit=2, continue_token=first.continue_token)
        third = await audit.query(db, limit=2, continue_token=second.continue_token)
        assert third.continue_token is None
        ids = [e.id for p in (first, second, third) for e in p.entries]
        assert len(ids) == 5 and ids == sorted(ids, reverse=True)
        assert [e.id for e in (await audit.query(db, limit=2, offset=2)).entries] == ids[2:4]
        with pytest.raises(BadRequest):
            await audit.query(db, continue_token="nonsense")


async def test_history_of_one_policy(sessions: Sessions) -> None:
    await _seed(sessions)
    async with sessions() as db:
        entries = await audit.history(db, "sandbox", "default", "web")
        assert [e.action for e in entries] == ["update", "create"]
        assert await audit.history(db, "sandbox", "default", "web", kind="WhitelistApplication") == []


def test_unified_diff_between_before_and_after() -> None:
    before = audit.to_yaml(_policy("web", 80))
    after = audit.to_yaml(_policy("web", 8080))
    text = audit.unified_diff(before, after, label="default/web")
    assert text.startswith("--- default/web (before)\n+++ default/web (after)\n@@")
    assert "-      protocol: TCP" not in text
    assert "\n-    - port: 80\n+    - port: 8080\n" in text
    assert audit.unified_diff(before, before) == ""
    created = audit.unified_diff(None, "a: 1\n")
    assert created.endswith("@@ -0,0 +1 @@\n+a: 1\n")
    kinds = [k for k, _ in audit.diff_lines(text)]
    assert kinds[:3] == ["file", "file", "hunk"] and "add" in kinds and "del" in kinds and "ctx" in kinds
