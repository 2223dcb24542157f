"""Watches: events from a resourceVersion, 410 Expired, timeouts and bookmarks."""

from __future__ import annotations

import asyncio
import json
import ssl
from pathlib import Path
from typing import Any

import httpx
from kubernetes_asyncio import client, watch

from app.sandbox import Sandbox
from app.sandbox import api as sandbox_api
from app.sandbox.store import HISTORY_SIZE
from tests.conftest import SandboxProcess


async def test_watch_streams_added_modified_deleted_from_a_resource_version(
    kube: Any, namespace: str
) -> None:
    net = client.NetworkingV1Api(kube)
    start = (await net.list_namespaced_network_policy(namespace)).metadata.resource_version
    body = {"metadata": {"name": "w", "labels": {"v": "1"}}, "spec": {"podSelector": {}}}

    async def writer() -> None:
        await net.create_namespaced_network_policy(namespace, body)
        await net.patch_namespaced_network_policy("w", namespace, {"metadata": {"labels": {"v": "2"}}})
        await net.delete_namespaced_network_policy("w", namespace)

    seen: list[tuple[str, str]] = []
    task = asyncio.create_task(writer())
    async with watch.Watch().stream(
        net.list_namespaced_network_policy, namespace, resource_version=start, timeout_seconds=5
    ) as stream:
        async for event in stream:
            seen.append((event["type"], event["object"].metadata.labels["v"]))
            if event["type"] == "DELETED":
                break
    await task
    assert seen == [("ADDED", "1"), ("MODIFIED", "2"), ("DELETED", "2")]


async def test_watch_without_resource_version_starts_with_current_objects(kube: Any, namespace: str) -> None:
    core = client.CoreV1Api(kube)
    await core.create_namespaced_config_map(namespace, {"metadata": {"name": "there", "labels": {"k": "a"}}})
    await core.create_namespaced_config_map(namespace, {"metadata": {"name": "other", "labels": {"k": "b"}}})
    names = []
    async with watch.Watch().stream(
        core.list_namespaced_config_map, namespace, label_selector="k=a", timeout_seconds=1
    ) as stream:
        async for event in stream:
            names.append((event["type"], event["object"].metadata.name))
    assert names == [("ADDED", "there")]


def _events(sb: SandboxProcess, path: str) -> list[dict[str, Any]]:
    with sb.http() as http, http.stream("GET", path) as resp:
        assert resp.status_code == 200
        return [json.loads(line) for line in resp.iter_lines() if line]


def test_watch_from_a_too_old_resource_version_is_410_expired(sandbox: SandboxProcess) -> None:
    with sandbox.http() as http:
        http.post("/api/v1/namespaces", json={"metadata": {"name": "old-rv"}})
        for i in range(HISTORY_SIZE + 5):
            http.post("/api/v1/namespaces/old-rv/configmaps", json={"metadata": {"name": f"c{i}"}})
        http.delete("/api/v1/namespaces/old-rv")
    events = _events(sandbox, "/api/v1/configmaps?watch=true&resourceVersion=1&timeoutSeconds=2")
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert status["kind"] == "Status" and status["code"] == 410 and status["reason"] == "Expired"
    assert "too old resource version" in status["message"]


def test_watch_ends_at_timeout_seconds_and_accepts_watch_1(sandbox: SandboxProcess) -> None:
    with sandbox.http() as http:
        rv = http.get("/api/v1/namespaces/default/configmaps").json()["metadata"]["resourceVersion"]
    events = _events(
        sandbox, f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}&timeoutSeconds=1"
    )
    assert events == []


async def test_bookmarks_carry_the_current_resource_version(tmp_path: Path) -> None:
    sandbox_api.BOOKMARK_INTERVAL = 0.2
    sb = Sandbox(tmp_path / "sb", port=0, seed=False)
    await sb.start()
    try:
        async with httpx.AsyncClient(
            base_url=sb.url,
            verify=ssl.create_default_context(cafile=str(tmp_path / "sb" / "ca.crt")),
            headers={"Authorization": f"Bearer {sb.token}"},
        ) as http:
            path = "/apis/networking.k8s.io/v1/networkpolicies?watch=true&allowWatchBookmarks=true"
            path += "&timeoutSeconds=1"
            async with http.stream("GET", path + "&resourceVersion=1") as resp:
                lines = [json.loads(line) async for line in resp.aiter_lines() if line]
        bookmarks = [e for e in lines if e["type"] == "BOOKMARK"]
        assert bookmarks and bookmarks[0]["object"]["kind"] == "NetworkPolicy"
        assert int(bookmarks[0]["object"]["metadata"]["resourceVersion"]) >= 1
    finally:
        sandbox_api.BOOKMARK_INTERVAL = 5.0
        await sb.stop()
