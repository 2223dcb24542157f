"""Audit that never misses, on the sandbox cluster and a real database (SQLite and PostgreSQL): a
cluster write's intent is committed before it is sent and completed after (success, failure,
unknown); unsettled entries are settled against the cluster; every entry keeps the request id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import requestid
from app.accounts.models import User, utcnow
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.audit.reconcile import reconcile, verdict
from app.cluster import Cluster, ClusterRegistry
from app.editing import service as editing
from app.errors import AlreadyExists, Conflict, Unavailable
from app.policies.model import NetworkPolicy
from tests.conftest import free_port

Sessions = async_sessionmaker[AsyncSession]


def _policy(name: str, namespace: str, port: int = 80) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": {"team": "shop"}},
        "spec": {"podSelector": {"matchLabels": {"app": name}}, "policyTypes": ["Ingress"],
                 "ingress": [{"ports": [{"port": port, "protocol": "TCP"}]}]},
    }


async def _entries(sessions: Sessions) -> list[AuditEntry]:
    async with sessions() as db:
        return list(reversed((await audit.query(db, limit=500)).entries))


def _writer(sessions: Sessions) -> editing.Writer:
    # through the API: the whitelist gate is off for API writes unless an admin turns it on
    olga = User(username="olga", team="shop", roles=frozenset({"operator"}), disabled=False)
    return editing.Writer(olga, "api", sessions)


@pytest.fixture
async def unreachable(sandbox: Any, tmp_path: Path) -> AsyncIterator[Cluster]:
    """The sandbox's kubeconfig pointed at a port where nothing listens: a cluster of the same
    name whose API server never answers."""
    config = yaml.safe_load(sandbox.kubeconfig_path.read_text())
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{free_port()}"
    path = tmp_path / "dead-kubeconfig"
    path.write_text(yaml.safe_dump(config))
    reg = await ClusterRegistry.from_kubeconfig(path)
    try:
        yield reg.get("sandbox")
    finally:
        await reg.close()


async def test_the_intent_is_committed_before_the_write_and_completed_with_the_stored_object(
    sessions: Sessions, cluster: Cluster, scratch: str
) -> None:
    seen: list[list[tuple[str, str | None]]] = []

    async def send() -> Any:
        # what another session reads while the write is on its way: the committed intent
        seen.append([(e.outcome, e.after_yaml) for e in await _entries(sessions)])
        return await cluster.create("networkpolicies", _policy("web", scratch), field_validation="Strict")

    change = audit.Change("olga", "api", "sandbox", scratch, "NetworkPolicy", "web", "create", None,
                          _policy("web", scratch))
    token = requestid.REQUEST_ID.set("req-intent-1")
    try:
        result = await audit.audited_write(sessions, change, send)
    finally:
        requestid.REQUEST_ID.reset(token)
    [[(outcome, intended)]] = seen
    assert outcome == "pending" and intended is not None and "resourceVersion" not in intended
    [entry] = await _entries(sessions)
    assert (entry.outcome, entry.message, entry.request_id) == ("success", "", "req-intent-1")
    assert entry.completed_at is not None and entry.completed_at >= entry.at
    stored = yaml.safe_load(entry.after_yaml or "")
    # the object as the API server returned it: its uid and resourceVersion are the server's
    assert stored["metadata"]["uid"] == result.object["metadata"]["uid"]
    assert stored["metadata"]["resourceVersion"] == result.object["metadata"]["resourceVersion"]
    assert "managedFields" not in stored["metadata"]


async def test_twenty_concurrent_editors_each_get_their_entries_and_a_stale_version_is_a_conflict(
    sessions: Sessions, cluster: Cluster, scratch: str
) -> None:
    writer, names = _writer(sessions), [f"editor-{i:02d}" for i in range(20)]
    created = await asyncio.gather(*(
        editing.write(cluster, NetworkPolicy.from_dict(_policy(name, scratch)), update=False, dry_run=False,
                      writer=writer) for name in names))  # fmt: skip

    async def edit(name: str, version: str | None, port: int) -> editing.Outcome:
        obj = _policy(name, scratch, port)
        policy = NetworkPolicy.from_dict({**obj, "metadata": {**obj["metadata"], "resourceVersion": version}})
        return await editing.write(cluster, policy, update=True, dry_run=False, writer=writer)

    versions = [o.policy.metadata.resource_version for o in created]
    await asyncio.gather(*(edit(name, version, 81) for name, version in zip(names, versions, strict=True)))
    # each editor again from the version it started with: stale now, a conflict, never an overwrite
    stale = await asyncio.gather(*(edit(name, version, 82) for name, version in zip(names, versions, strict=True)),
                                 return_exceptions=True)  # fmt: skip
    assert all(isinstance(answer, Conflict) for answer in stale), stale
    for name in names:
        stored = await cluster.get_object("NetworkPolicy", scratch, name)
        assert stored["spec"]["ingress"][0]["ports"][0]["port"] == 81
    entries = await _entries(sessions)
    by_outcome = sorted((e.action, e.outcome) for e in entries)
    assert by_outcome == [("create", "success")] * 20 + [("update", "failure")] * 20 + [("update", "success")] * 20
    assert sorted(e.name for e in entries if e.outcome == "failure") == names
    assert all(e.completed_at is not None for e in entries)


async def test_a_refusal_by_the_api_server_completes_the_entry_as_failure(
    sessions: Sessions, cluster: Cluster, scratch: str
) -> None:
    policy = NetworkPolicy.from_dict(_policy("twice", scratch))
    writer = _writer(sessions)
    await editing.write(cluster, policy, update=False, dry_run=True, writer=writer)
    assert await _entries(sessions) == []  # a dry run is no write: not audited
    await editing.write(cluster, policy, update=False, dry_run=False, writer=writer)
    with pytest.raises(AlreadyExists):
        await editing.write(cluster, policy, update=False, dry_run=False, writer=writer)
    first, second = await _entries(sessions)
    assert (first.action, first.outcome) == ("create", "success")
    assert (second.action, second.outcome) == ("create", "failure")
    assert "already exists" in second.message and second.completed_at is not None
    assert second.request_id is None  # no request: a service called directly


async def test_no_answer_leaves_unknown_and_a_later_pass_settles_it(
    sessions: Sessions, cluster: Cluster, unreachable: Cluster, scratch: str
) -> None:
    policy = NetworkPolicy.from_dict(_policy("lost", scratch))
    with pytest.raises(Unavailable):
        await editing.write(unreachable, policy, update=False, dry_run=False, writer=_writer(sessions))
    [entry] = await _entries(sessions)
    assert entry.outcome == "unknown" and "unreachable" in entry.message
    # the cluster still unreachable: the entry stays as it is
    done = await reconcile(sessions, [unreachable], written_before=utcnow())
    assert (done.settled, done.left) == (0, 1)
    assert [e.outcome for e in await _entries(sessions)] == ["unknown"]
    # reachable again: the object was never made
    done = await reconcile(sessions, [cluster], written_before=utcnow())
    assert (done.settled, done.left) == (1, 0)
    [entry] = await _entries(sessions)
    assert entry.outcome == "not_applied"
    assert entry.message.startswith("Reconciled at start ") and "the object does not exist" in entry.message
    assert "unknown: " in entry.message  # what the entry said before is kept


async def _pending(sessions: Sessions, kind: str, namespace: str, name: str, action: str,
                   before: dict[str, Any] | None, intended: dict[str, Any] | None, cluster: str = "sandbox") -> int:
    async with sessions() as db:
        entry = await audit.record(db, "olga", "console", cluster, namespace, kind, name, action, "pending",
                                   before, intended)
        await db.commit()
        return entry.id


async def test_unsettled_entries_are_settled_against_what_the_cluster_holds(
    sessions: Sessions, cluster: Cluster, scratch: str
) -> None:
    ns = scratch
    made = _policy("made", ns)
    ids = {"create-done": await _pending(sessions, "NetworkPolicy", ns, "made", "create", None, made),
           "create-not-done": await _pending(sessions, "NetworkPolicy", ns, "never", "create", None,
                                             _policy("never", ns))}
    await cluster.create("networkpolicies", made)

    old = (await cluster.create("networkpolicies", _policy("edited", ns, 80))).object
    ids["update-done"] = await _pending(sessions, "NetworkPolicy", ns, "edited", "update", old,
                                        _policy("edited", ns, 8080))
    await cluster.replace("networkpolicies", {**_policy("edited", ns, 8080), "metadata": old["metadata"]})
    kept = (await cluster.create("networkpolicies", _policy("kept", ns, 80))).object
    ids["update-not-done"] = await _pending(sessions, "NetworkPolicy", ns, "kept", "update", kept,
                                            _policy("kept", ns, 9090))

    gone = (await cluster.create("networkpolicies", _policy("gone", ns))).object
    ids["delete-done"] = await _pending(sessions, "NetworkPolicy", ns, "gone", "delete", gone, None)
    await cluster.delete("networkpolicies", ns, "gone")
    ids["delete-not-done"] = await _pending(sessions, "NetworkPolicy", ns, "kept", "delete", kept, None)

    # a label removed by a merge patch: applied only once the label is gone
    cm = (await cluster.create("configmaps", {"metadata": {"name": "cm", "namespace": ns,
                                                           "labels": {"a": "1", "b": "2"}}})).object
    without_b = {**cm, "metadata": {**cm["metadata"], "labels": {"a": "1"}}}
    ids["relabel-not-done"] = await _pending(sessions, "ConfigMap", ns, "cm", "update", cm, without_b)
    ids["elsewhere"] = await _pending(sessions, "NetworkPolicy", ns, "x", "create", None, _policy("x", ns),
                                      cluster="not-configured")
    later = await _pending(sessions, "NetworkPolicy", ns, "later", "create", None, _policy("later", ns))
    async with sessions() as db:
        written_before = (await audit.get_entry(db, later)).at

    done = await reconcile(sessions, [cluster], written_before=written_before)

    assert (done.settled, done.left) == (7, 1)
    async with sessions() as db:
        outcomes = {key: (await audit.get_entry(db, i)).outcome for key, i in ids.items()}
        assert (await audit.get_entry(db, later)).outcome == "pending"  # written after the start
        message = (await audit.get_entry(db, ids["update-done"])).message
        relabel = await audit.get_entry(db, ids["relabel-not-done"])
    assert outcomes == {
        "create-done": "applied", "create-not-done": "not_applied",
        "update-done": "applied", "update-not-done": "not_applied",
        "delete-done": "applied", "delete-not-done": "not_applied",
        "relabel-not-done": "not_applied", "elsewhere": "pending",
    }
    assert message.startswith("Reconciled at start ") and "holds the intended change (resourceVersion" in message
    patched = (await cluster.patch("configmaps", ns, "cm", {"metadata": {"labels": {"b": None}}})).object
    assert verdict(relabel, patched)[0] == "applied"


async def test_every_entry_keeps_the_request_id(sessions: Sessions) -> None:
    token = requestid.REQUEST_ID.set("5f0c-req")
    try:
        async with sessions() as db:
            inside = await audit.record(db, "alice", "console", "", "", "User", "bob", "user.create", "success",
                                        None, {"username": "bob"})
            await db.commit()
    finally:
        requestid.REQUEST_ID.reset(token)
    async with sessions() as db:
        outside = await audit.record(db, "cli-user", "cli", "", "", "User", "bob", "user.disable", "success",
                                     None, None)
        await db.commit()
        stored = await audit.get_entry(db, inside.id)
        data = audit.entry_dict(stored)
        assert (stored.request_id, (await audit.get_entry(db, outside.id)).request_id) == ("5f0c-req", None)
    assert (data["request_id"], data["outcome_text"]) == ("5f0c-req", "success")
    assert data["completed_at"] is not None
