"""ClusterRegistry over kubeconfig files, and calls to servers that are not there (no sandbox)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from app.cluster import ClusterRegistry
from app.errors import NotFound, Unavailable


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_kubeconfig(path: Path, port: int) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "c",
                "cluster": {"server": f"https://127.0.0.1:{port}", "insecure-skip-tls-verify": True},
            }
        ],
        "users": [
            {"name": "u", "user": {"token": "t0ken"}},
            {"name": "broken", "user": {"client-certificate": str(path.parent / "missing.crt"),
                                        "client-key": str(path.parent / "missing.key")}},
        ],
        "contexts": [
            {"name": "alpha", "context": {"cluster": "c", "user": "u"}},
            {"name": "beta", "context": {"cluster": "c", "user": "u", "namespace": "test-np"}},
            {"name": "broken", "context": {"cluster": "c", "user": "broken"}},
        ],
        "current-context": "alpha",
    }
    path.write_text(yaml.safe_dump(config))
    return path


async def test_every_context_is_a_cluster(tmp_path: Path) -> None:
    registry = await ClusterRegistry.from_kubeconfig(write_kubeconfig(tmp_path / "kubeconfig", closed_port()))
    try:
        assert registry.names() == ["alpha", "beta", "broken"]
        assert registry.get("beta").name == "beta"
        with pytest.raises(NotFound):
            registry.get("gamma")
    finally:
        await registry.close()


async def test_one_context_only(tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "kubeconfig", closed_port())
    registry = await ClusterRegistry.from_kubeconfig(path, context="beta")
    try:
        assert registry.names() == ["beta"]
    finally:
        await registry.close()
    with pytest.raises(NotFound, match="gamma"):
        await ClusterRegistry.from_kubeconfig(path, context="gamma")


async def test_missing_kubeconfig_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        await ClusterRegistry.from_kubeconfig(tmp_path / "nope")


async def test_not_in_a_cluster_is_unavailable() -> None:
    with pytest.raises(Unavailable):
        ClusterRegistry.in_cluster()


async def test_broken_context_stays_listed_and_says_why(tmp_path: Path) -> None:
    registry = await ClusterRegistry.from_kubeconfig(write_kubeconfig(tmp_path / "kubeconfig", closed_port()))
    try:
        broken = registry.get("broken")
        assert not broken.usable
        with pytest.raises(Unavailable, match="broken"):
            await broken.list_page("namespaces")
        await registry.start()
        report = registry.readiness()["broken"]
        assert report["ready"] is False and report["state"] == "error"
        assert report["error"]
    finally:
        await registry.close()


async def test_refused_connection_is_unavailable_and_the_cache_reports_it(tmp_path: Path) -> None:
    registry = await ClusterRegistry.from_kubeconfig(
        write_kubeconfig(tmp_path / "kubeconfig", closed_port()), context="alpha"
    )
    cluster = registry.get("alpha")
    try:
        for call in (cluster.list_page("namespaces"), cluster.get_network_policy("default", "x"),
                     cluster.create_network_policy({"metadata": {"name": "x", "namespace": "default"}})):
            with pytest.raises(Unavailable, match="unreachable"):
                await call
        await registry.start()
        assert await cluster.cache.wait_ready(0.5) is False
        report = registry.readiness()["alpha"]
        assert report["state"] == "error"
        assert report["kinds"]["pods"]["state"] == "error"
        assert "unreachable" in report["kinds"]["pods"]["error"]
    finally:
        await registry.close()
    assert registry.readiness()["alpha"]["state"] == "stopped"


@pytest.mark.parametrize("text", ["contexts: [unclosed\n", "just a string\n", "contexts: 7\n"])
async def test_a_malformed_kubeconfig_is_unavailable_not_a_crash(tmp_path: Path, text: str) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text(text)
    with pytest.raises(Unavailable, match="kubeconfig"):
        await ClusterRegistry.from_kubeconfig(path)


async def test_a_kubeconfig_without_current_context_still_lists_its_contexts(sandbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(sandbox.kubeconfig_path.read_text())
    data.pop("current-context", None)
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(data))
    registry = await ClusterRegistry.from_kubeconfig(path)
    try:
        assert registry.names() == ["sandbox"]
        assert (await registry.get("sandbox").list_page("namespaces"))["items"]
    finally:
        await registry.close()
