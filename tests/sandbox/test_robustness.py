"""Review fixes: null and bad workload counts, Status (never text/plain) errors, bounded watch
queues and consistent paged lists."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.sandbox import Sandbox
from app.sandbox import store as sandbox_store
from app.sandbox.api import build_app
from app.sandbox.registry import Registry
from app.sandbox.store import Store
from tests.conftest import SandboxProcess

LABELS = {"app": "robust"}
CONTAINERS = [{"name": "c", "image": "nginx"}]


def _workload(kind: str, name: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"template": {"metadata": {"labels": LABELS}, "spec": {"containers": CONTAINERS}}}
    if kind != "Job":
        body["selector"] = {"matchLabels": LABELS}
    return {"metadata": {"name": name}, "spec": {**body, **spec}}


def _pods(http: httpx.Client, ns: str) -> list[dict[str, Any]]:
    return http.get(f"/api/v1/namespaces/{ns}/pods").json()["items"]


def _owned(pods: list[dict[str, Any]], uid: str) -> list[dict[str, Any]]:
    return [p for p in pods if any(r["uid"] == uid for r in p["metadata"].get("ownerReferences") or [])]


def _assert_status(resp: httpx.Response, code: int, reason: str) -> dict[str, Any]:
    assert resp.status_code == code, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    status = resp.json()
    assert status["kind"] == "Status" and status["code"] == code and status["reason"] == reason
    return status


# -- 1. null and non-integer counts ----------------------------------------------------------


def test_null_replicas_and_parallelism_default_to_one(sandbox: SandboxProcess) -> None:
    ns = "robust-null"
    with sandbox.http() as http:
        http.post("/api/v1/namespaces", json={"metadata": {"name": ns}})
        try:
            for path, kind, key in (
                ("apps/v1/namespaces/{ns}/deployments", "Deployment", "replicas"),
                ("apps/v1/namespaces/{ns}/statefulsets", "StatefulSet", "replicas"),
                ("batch/v1/namespaces/{ns}/jobs", "Job", "parallelism"),
            ):
                resp = http.post(f"/apis/{path.format(ns=ns)}", json=_workload(kind, kind.lower(), **{key: None}))
                assert resp.status_code == 201, resp.text
                obj = resp.json()
                assert obj["spec"][key] == 1
                assert len(_owned(_pods(http, ns), obj["metadata"]["uid"])) == 1
            # A merge patch nulling the count is defaulted again, not stored as null.
            resp = http.patch(
                f"/apis/apps/v1/namespaces/{ns}/deployments/deployment",
                json={"spec": {"replicas": None}},
                headers={"Content-Type": "application/merge-patch+json"},
            )
            assert resp.status_code == 200 and resp.json()["spec"]["replicas"] == 1
        finally:
            http.delete(f"/api/v1/namespaces/{ns}")


@pytest.mark.parametrize(
    ("path", "kind", "key", "value"),
    [
        ("apps/v1/namespaces/default/deployments", "Deployment", "replicas", "abc"),
        ("apps/v1/namespaces/default/statefulsets", "StatefulSet", "replicas", [1]),
        ("apps/v1/namespaces/default/deployments", "Deployment", "replicas", -1),
        ("batch/v1/namespaces/default/jobs", "Job", "parallelism", "two"),
        ("batch/v1/namespaces/default/jobs", "Job", "completions", True),
    ],
)
def test_non_integer_counts_are_422_at_their_field(
    sandbox: SandboxProcess, path: str, kind: str, key: str, value: Any
) -> None:
    with sandbox.http() as http:
        resp = http.post(f"/apis/{path}", json=_workload(kind, "bad-count", **{key: value}))
        status = _assert_status(resp, 422, "Invalid")
        assert [c["field"] for c in status["details"]["causes"]] == [f"spec.{key}"]
        assert http.get(f"/apis/{path}/bad-count").status_code == 404


async def _client(sb: Sandbox, data_dir: Path) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=sb.url,
        verify=ssl.create_default_context(cafile=str(data_dir / "ca.crt")),
        headers={"Authorization": f"Bearer {sb.token}"},
        timeout=10,
    )


@contextlib.asynccontextmanager
async def _running(data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    sb = Sandbox(data_dir, port=0, seed=False)
    await sb.start()
    try:
        async with await _client(sb, data_dir) as http:
            yield http
    finally:
        await sb.stop()


def _edit_spec(db: Path, resource: str, name: str, **changes: Any) -> None:
    """Rewrite a stored object's spec in the data dir, as an older sandbox could have left it."""
    conn = sqlite3.connect(db)
    with conn:
        (body,) = conn.execute(
            "SELECT body FROM objects WHERE resource=? AND namespace='default' AND name=?", (resource, name)
        ).fetchone()
        obj = json.loads(body)
        obj["spec"].update(changes)
        conn.execute(
            "UPDATE objects SET body=? WHERE resource=? AND namespace='default' AND name=?",
            (json.dumps(obj), resource, name),
        )
    conn.close()


async def test_controller_failures_never_fail_a_write_nor_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "sb"
    apps = "/apis/apps/v1/namespaces/default"
    async with _running(data) as http:
        assert (await http.post("/api/v1/nodes", json={"metadata": {"name": "n1"}})).status_code == 201
        # nodeSelector must be a map: the controller fails on it, yet the write is stored...
        odd = _workload("DaemonSet", "odd")
        odd["spec"]["template"]["spec"]["nodeSelector"] = "not-a-map"
        resp = await http.post(f"{apps}/daemonsets", json=odd)
        assert resp.status_code == 201, resp.text
        assert (await http.get(f"{apps}/daemonsets/odd")).status_code == 200
        # ...and so is a later write whose event makes the controller revisit it.
        assert (await http.post("/api/v1/nodes", json={"metadata": {"name": "n2"}})).status_code == 201
        for name in ("web", "broken"):
            assert (await http.post(f"{apps}/deployments", json=_workload("Deployment", name))).status_code == 201
        resp = await http.post("/apis/batch/v1/namespaces/default/jobs", json=_workload("Job", "j"))
        assert resp.status_code == 201
    # Data an older sandbox stored: null counts, and a template the controller cannot read.
    _edit_spec(data / "sandbox.db", "deployments", "web", replicas=None)
    _edit_spec(data / "sandbox.db", "jobs", "j", parallelism=None, completions=None)
    _edit_spec(data / "sandbox.db", "deployments", "broken", template="garbage")
    async with _running(data) as http:
        pods = (await http.get("/api/v1/namespaces/default/pods")).json()["items"]
        for path in (f"{apps}/deployments/web", "/apis/batch/v1/namespaces/default/jobs/j"):
            obj = (await http.get(path)).json()
            assert len(_owned(pods, obj["metadata"]["uid"])) == 1
        # Still serving writes, and the controller still converges new ones.
        resp = await http.post(f"{apps}/deployments", json=_workload("Deployment", "after", replicas=2))
        assert resp.status_code == 201
        pods = (await http.get("/api/v1/namespaces/default/pods")).json()["items"]
        assert len(_owned(pods, resp.json()["metadata"]["uid"])) == 2


# -- 2. Status objects, never text/plain -----------------------------------------------------


def test_malformed_requests_are_400_status_objects(sandbox: SandboxProcess) -> None:
    cms = "/api/v1/namespaces/default/configmaps"
    with sandbox.http() as http:
        http.post(cms, json={"metadata": {"name": "robust-400"}})
        try:
            _assert_status(http.get(f"{cms}?limit=abc"), 400, "BadRequest")
            _assert_status(http.get(f"{cms}?watch=true&timeoutSeconds=abc"), 400, "BadRequest")
            _assert_status(http.get(f"{cms}?continue=not-a-token"), 400, "BadRequest")
            _assert_status(http.request("DELETE", f"{cms}/robust-400", content=b"{not json"), 400, "BadRequest")
            _assert_status(http.request("DELETE", f"{cms}/robust-400", content=b"[1]"), 400, "BadRequest")
            resp = http.request("DELETE", f"{cms}/robust-400", json={"preconditions": "uid"})
            _assert_status(resp, 400, "BadRequest")
            for ops in ([1], ["add"], [{"op": "add", "path": 7, "value": 1}]):
                resp = http.patch(
                    f"{cms}/robust-400", json=ops, headers={"Content-Type": "application/json-patch+json"}
                )
                _assert_status(resp, 400, "BadRequest")
            assert http.get(f"{cms}/robust-400").status_code == 200  # nothing was deleted or changed
        finally:
            http.delete(f"{cms}/robust-400")


class _FailingRegistry(Registry):
    """A registry with a bug: every read raises something no handler expects."""

    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")


async def test_an_unexpected_exception_is_a_500_status(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = Store(tmp_path / "db.sqlite")
    try:
        app = build_app(store, _FailingRegistry(store), "t", "127.0.0.1:1")
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://sandbox", headers={"Authorization": "Bearer t"}
        ) as http:
            resp = await http.get("/api/v1/namespaces/default/configmaps/x")
        status = _assert_status(resp, 500, "InternalError")
        assert "boom" in status["message"]
    finally:
        store.dispose()


# -- 3. bounded watch queues -----------------------------------------------------------------


def _cm(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}}


async def test_a_watcher_that_falls_behind_is_ended_without_blocking_the_store(tmp_path: Path) -> None:
    sandbox_store.WATCH_QUEUE_SIZE = 3
    try:
        store = Store(tmp_path / "db.sqlite")
        slow, fast = store.watch(), store.watch()
        seen = []
        for i in range(6):
            store.put("configmaps", _cm(f"c{i}"), "ADDED")  # never blocks, never raises
            while not fast.queue.empty():
                seen.append(fast.queue.get_nowait())
        assert [e.obj["metadata"]["name"] for e in seen] == [f"c{i}" for i in range(6)]
        assert fast in store.watchers and not fast.overflowed
        assert slow.overflowed and slow not in store.watchers
        assert slow.queue.qsize() == 1 and slow.queue.get_nowait() is None
        store.close_watches()
        assert fast.queue.get_nowait() is None
        store.dispose()
    finally:
        sandbox_store.WATCH_QUEUE_SIZE = 1000


async def test_an_overflowing_http_watch_ends_and_can_resume(tmp_path: Path) -> None:
    sandbox_store.WATCH_QUEUE_SIZE = 3
    try:
        async with _running(tmp_path / "sb") as http:
            pods = "/api/v1/namespaces/default/pods"
            rv = (await http.get(pods)).json()["metadata"]["resourceVersion"]
            started = time.monotonic()
            async with http.stream("GET", f"{pods}?watch=true&resourceVersion={rv}&timeoutSeconds=8") as watch:
                # One write makes the controller emit many events at once: the watch falls behind.
                body = _workload("Deployment", "many", replicas=4)
                resp = await http.post("/apis/apps/v1/namespaces/default/deployments", json=body)
                assert resp.status_code == 201
                lines = [line async for line in watch.aiter_lines() if line]
            assert time.monotonic() - started < 6  # ended at overflow, not at its timeout
            assert lines == []
            # Resuming from the last resourceVersion seen replays what was dropped.
            async with http.stream("GET", f"{pods}?watch=true&resourceVersion={rv}&timeoutSeconds=1") as watch:
                events = [json.loads(line) async for line in watch.aiter_lines() if line]
            added = {e["object"]["metadata"]["name"] for e in events if e["type"] == "ADDED"}
            assert len(added) == 4
    finally:
        sandbox_store.WATCH_QUEUE_SIZE = 1000


# -- 4. consistent paged lists ---------------------------------------------------------------


def test_paged_lists_are_a_consistent_snapshot_or_410(sandbox: SandboxProcess) -> None:
    ns = "robust-pages"
    cms = f"/api/v1/namespaces/{ns}/configmaps"
    with sandbox.http() as http:
        http.post("/api/v1/namespaces", json={"metadata": {"name": ns}})
        try:
            for i in range(5):
                http.post(cms, json={"metadata": {"name": f"c{i}"}})
            first = http.get(f"{cms}?limit=2").json()
            rv = first["metadata"]["resourceVersion"]
            # A write elsewhere (another namespace) does not touch this list.
            http.post("/api/v1/namespaces/default/configmaps", json={"metadata": {"name": "robust-pages-x"}})
            http.delete("/api/v1/namespaces/default/configmaps/robust-pages-x")
            second = http.get(f"{cms}?limit=2&continue={first['metadata']['continue']}").json()
            assert second["metadata"]["resourceVersion"] == rv
            assert [o["metadata"]["name"] for o in first["items"] + second["items"]] == ["c0", "c1", "c2", "c3"]
            http.delete(f"{cms}/c4")
            resp = http.get(f"{cms}?limit=2&continue={second['metadata']['continue']}")
            status = _assert_status(resp, 410, "Expired")
            assert status["message"].startswith(
                "The provided continue parameter is too old to display a consistent list result."
            )
            # The token in the 410 gives the (inconsistent) remainder, as upstream's does.
            rest = http.get(f"{cms}?continue={status['metadata']['continue']}")
            assert rest.status_code == 200 and rest.json()["items"] == []
            # A new list without continue starts a fresh snapshot.
            again = http.get(f"{cms}?limit=10").json()
            assert [o["metadata"]["name"] for o in again["items"]] == ["c0", "c1", "c2", "c3"]
            assert "continue" not in again["metadata"]
        finally:
            http.delete(f"/api/v1/namespaces/{ns}")
