"""A console killed mid-write (SIGKILL during a burst of concurrent writes) leaves no change on the
cluster without its audit entry; the next console on the same database settles what was left
pending against the cluster. Real processes, the sandbox cluster, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from app.audit import service as audit
from app.audit.models import AuditEntry
from app.db import make_engine, make_sessionmaker
from tests.api.conftest import seed_callers
from tests.conftest import SandboxProcess
from tests.e2e.conftest import ConsoleProcess

WRITES = 60


def _policy(name: str) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name},
            "spec": {"podSelector": {"matchLabels": {"app": name}}, "policyTypes": ["Ingress"]}}


async def _entries(url: str, namespace: str) -> list[AuditEntry]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as db:
            page = await audit.query(db, audit.AuditFilter(namespace=namespace), limit=500)
            return page.entries
    finally:
        await engine.dispose()


async def _admin_token(url: str) -> str:
    engine = make_engine(url)
    try:
        tokens = await seed_callers(SimpleNamespace(state=SimpleNamespace(sessions=make_sessionmaker(engine))))
    finally:
        await engine.dispose()
    return tokens["admin"]


async def _on_cluster(kube: Any, namespace: str) -> set[str]:
    from kubernetes_asyncio import client

    found = await client.NetworkingV1Api(kube).list_namespaced_network_policy(namespace)
    return {p.metadata.name for p in found.items}


async def _burst_and_kill(console: ConsoleProcess, token: str, kube: Any, namespace: str) -> int:
    """Send WRITES creates at once; kill the console -9 once a third of them reached the cluster,
    the rest on their way. How many requests had been answered by then."""
    url = f"/api/v1/clusters/sandbox/namespaces/{namespace}/networkpolicies"
    async with httpx.AsyncClient(base_url=console.url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        sends = [asyncio.create_task(http.post(url, json=_policy(f"np-{i}"), headers={"X-Request-ID": f"burst-{i}"}))
                 for i in range(WRITES)]  # fmt: skip
        deadline = time.monotonic() + 30
        while len(await _on_cluster(kube, namespace)) < WRITES // 3:
            assert time.monotonic() < deadline, "the writes did not reach the cluster"
            await asyncio.sleep(0.01)
        console.kill()
        answered = sum(1 for s in sends if s.done() and not s.exception())
        await asyncio.gather(*sends, return_exceptions=True)
    return answered


async def test_a_console_killed_mid_write_leaves_every_change_audited_and_settled_at_the_next_start(
    sandbox: SandboxProcess, kube: Any, namespace: str, database_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NETPOL_DATABASE_URL", database_url)
    monkeypatch.setenv("NETPOL_API_RATE_BURST", "10000")
    data_dir = tmp_path / "console"
    console = ConsoleProcess(data_dir, sandbox.kubeconfig_path)
    await asyncio.to_thread(console.start)
    try:
        token = await _admin_token(database_url)
        answered = await _burst_and_kill(console, token, kube, namespace)
    finally:
        console.kill()

    changed = await _on_cluster(kube, namespace)
    entries = await _entries(database_url, namespace)
    by_name = {e.name: e for e in entries}
    # not one change on the cluster without its entry; each write has one entry, no more
    assert changed <= set(by_name), f"changed without an entry: {sorted(changed - set(by_name))}"
    assert len(entries) == len(by_name)
    pending = {e.name for e in entries if e.outcome == "pending"}
    assert pending, f"the kill came after every write was complete ({answered} answered)"
    assert {e.outcome for e in entries} <= {"pending", "success"}
    for e in entries:  # each entry says which request made it
        assert e.request_id == f"burst-{e.name.removeprefix('np-')}"

    again = ConsoleProcess(data_dir, sandbox.kubeconfig_path)
    await asyncio.to_thread(again.start)
    try:
        deadline = time.monotonic() + 60
        while any(e.outcome in ("pending", "unknown") for e in await _entries(database_url, namespace)):
            assert time.monotonic() < deadline, "the pending entries were not settled at start"
            await asyncio.sleep(0.2)
    finally:
        await asyncio.to_thread(again.stop)

    settled = {e.name: e for e in await _entries(database_url, namespace)}
    assert set(settled) == set(by_name)
    for name, e in settled.items():
        if name in pending:
            assert e.outcome == ("applied" if name in changed else "not_applied"), (name, e.outcome, e.message)
            assert e.message.startswith("Reconciled at start ") and e.completed_at is not None
        else:
            assert e.outcome == "success" and name in changed
