"""Fixtures for the cluster layer: a registry over the sandbox's kubeconfig, a scratch namespace."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from app.cluster import Cluster, ClusterRegistry
from app.errors import NotFound


@pytest.fixture
async def registry(sandbox: Any) -> AsyncIterator[ClusterRegistry]:
    reg = await ClusterRegistry.from_kubeconfig(sandbox.kubeconfig_path)
    try:
        yield reg
    finally:
        await reg.close()


@pytest.fixture
async def cluster(registry: ClusterRegistry) -> Cluster:
    return registry.get("sandbox")


@pytest.fixture
async def scratch(cluster: Cluster) -> AsyncIterator[str]:
    """A namespace of this test's own, deleted (with its objects) afterwards."""
    name = f"cl-{uuid.uuid4().hex[:8]}"
    await cluster.create("namespaces", {"metadata": {"name": name}})
    try:
        yield name
    finally:
        try:
            await cluster.delete("namespaces", None, name)
        except NotFound:
            pass


async def eventually(check: Callable[[], Any], *, within: float, step: float = 0.02) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(step)
