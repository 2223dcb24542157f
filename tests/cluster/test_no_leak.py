"""No kubernetes_asyncio or aiohttp exception leaves app/cluster: a stopped server, a bad token
and a CA that does not match each come out as app.errors."""

from __future__ import annotations

import base64
import datetime
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.cluster import Cluster, ClusterRegistry
from app.errors import DomainError, Unavailable
from tests.cluster.conftest import eventually


def other_ca_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not the sandbox CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def altered_kubeconfig(
    source: Path, target: Path, *, token: str | None = None, ca: bytes | None = None
) -> Path:
    config = yaml.safe_load(source.read_text())
    if token is not None:  # the token alone: a client certificate beside it would still be accepted
        config["users"][0]["user"] = {"token": token}
    if ca is not None:
        config["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(ca).decode()
    target.write_text(yaml.safe_dump(config))
    return target


def calls(cluster: Cluster) -> list[Callable[[], Awaitable[Any]]]:
    body = {"metadata": {"name": "x", "namespace": "default"}, "spec": {"podSelector": {}}}

    async def watch() -> None:
        async for _ in cluster.watch("networkpolicies", timeout_seconds=1):
            pass

    return [
        lambda: cluster.list_page("namespaces"),
        lambda: cluster.list_page("pods", "default", label_selector="app=nginx"),
        lambda: cluster.get_object("deployments", "default", "nginx"),
        lambda: cluster.list_page("nodes", limit=10),
        lambda: cluster.get_object("configmaps", "kube-system", "eni-config"),
        lambda: cluster.get_network_policy("default", "x"),
        lambda: cluster.create_network_policy(body),
        lambda: cluster.replace_network_policy(body, dry_run=True),
        lambda: cluster.delete_network_policy("default", "x"),
        watch,
    ]


async def assert_all_raise(cluster: Cluster, expected: type[DomainError], match: str) -> None:
    for call in calls(cluster):
        with pytest.raises(DomainError) as info:
            await call()
        exc = info.value
        assert type(exc).__module__.startswith("app."), type(exc)
        assert isinstance(exc, expected), (exc, call)
        assert match in exc.message.lower(), exc.message


async def test_stopped_server_is_unavailable(fresh_sandbox: Any) -> None:
    registry = await ClusterRegistry.from_kubeconfig(fresh_sandbox.kubeconfig_path)
    try:
        cluster = registry.get("sandbox")
        assert (await cluster.list_page("namespaces"))["items"]
        fresh_sandbox.stop()
        await assert_all_raise(cluster, Unavailable, "unreachable")
    finally:
        await registry.close()


async def test_a_rejected_console_token_makes_the_cluster_unavailable(sandbox: Any, tmp_path: Path) -> None:
    path = altered_kubeconfig(sandbox.kubeconfig_path, tmp_path / "kubeconfig", token="wrong")
    registry = await ClusterRegistry.from_kubeconfig(path)
    try:
        await assert_all_raise(registry.get("sandbox"), Unavailable, "rejected the console's credentials")
        await registry.start()
        report = await _error_report(registry)
        assert "unauthorized" in report["error"].lower()
    finally:
        await registry.close()


async def test_wrong_ca_is_unavailable(sandbox: Any, tmp_path: Path) -> None:
    path = altered_kubeconfig(sandbox.kubeconfig_path, tmp_path / "kubeconfig", ca=other_ca_pem())
    registry = await ClusterRegistry.from_kubeconfig(path)
    try:
        await assert_all_raise(registry.get("sandbox"), Unavailable, "tls")
    finally:
        await registry.close()


async def _error_report(registry: ClusterRegistry) -> dict[str, Any]:
    return await eventually(
        lambda: (r := registry.readiness()["sandbox"])["state"] == "error" and r, within=5.0
    )
