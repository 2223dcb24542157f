"""Shared fixtures: the sandbox cluster as a real subprocess, and clients for it.

``sandbox`` (session) is the seeded demo; tests sharing it use their own namespaces.
``fresh_sandbox`` is a test's own, e.g. to restart it.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.sandbox.cluster import die_with_parent

ROOT = Path(__file__).resolve().parents[1]
# The tests' consoles use real databases and clusters, where a key is required (app/secret_key.py):
# one random key for the run, inherited by every console the tests start (in-process or not).
os.environ.setdefault("NETPOL_SECRET_KEY", uuid.uuid4().hex + uuid.uuid4().hex)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SandboxProcess:
    """``python -m app sandbox --port P --data-dir D``: the upstream control plane with KWOK nodes,
    run as a subprocess, exactly as a user runs it."""

    def __init__(
        self, data_dir: Path, port: int | None = None, *, seed: bool = True, apiserver_args: tuple[str, ...] = ()
    ) -> None:
        self.data_dir = Path(data_dir)
        self.apiserver_args = apiserver_args
        self.port = port or free_port()
        self.seed = seed
        self.url = f"https://127.0.0.1:{self.port}"
        self.kubeconfig_path = self.data_dir / "kubeconfig"
        self.pki = self.data_dir / "pki"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = self.data_dir.parent / f"{self.data_dir.name}.log"

    def ssl_context(self, user: str | None = None) -> ssl.SSLContext:
        """Trusting the cluster's CA; with ``user``, presenting that client certificate too."""
        context = ssl.create_default_context(cafile=str(self.pki / "ca.crt"))
        if user is not None:
            context.load_cert_chain(self.pki / f"{user}.crt", self.pki / f"{user}.key")
        return context

    def http(self, user: str = "admin") -> httpx.Client:
        """An httpx client authenticated by a client certificate (``admin``: system:masters)."""
        return httpx.Client(base_url=self.url, verify=self.ssl_context(user), timeout=10)

    def start(self, timeout: float = 240) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "app",
            "sandbox",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        if not self.seed:
            cmd.append("--no-seed")
        cmd += [f"--apiserver-arg={arg}" for arg in self.apiserver_args]
        log = open(self._log, "ab")  # noqa: SIM115 - the child keeps it
        offset = log.tell()  # what an earlier start wrote is not this start's word
        self._proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=die_with_parent,  # a killed test run leaves no cluster behind
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"sandbox exited with {self._proc.returncode}: {self._log.read_text()}")
            if b"sandbox serving at" in self._log.read_bytes()[offset:]:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"sandbox did not start within {timeout}s: {self._log.read_text()}")

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(40)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None

    def restart(self) -> None:
        """Stop and start again on the same data dir and port: state and CA survive."""
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    proc = SandboxProcess(tmp_path_factory.mktemp("sandbox") / "data")
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def fresh_sandbox(tmp_path: Path) -> Iterator[SandboxProcess]:
    proc = SandboxProcess(tmp_path / "sandbox")
    proc.start()
    yield proc
    proc.stop()


async def kube_client(sb: SandboxProcess) -> Any:
    """A kubernetes-asyncio ApiClient configured from the sandbox's kubeconfig."""
    from kubernetes_asyncio import client, config

    cfg = client.Configuration()
    await config.load_kube_config(config_file=str(sb.kubeconfig_path), client_configuration=cfg)
    return client.ApiClient(cfg)


@pytest.fixture
async def kube(sandbox: SandboxProcess) -> AsyncIterator[Any]:
    """A kubernetes-asyncio ApiClient for the shared sandbox."""
    api = await kube_client(sandbox)
    yield api
    await api.close()


@pytest.fixture
async def namespace(kube: Any) -> AsyncIterator[str]:
    """A namespace of this test's own in the shared sandbox, deleted afterwards."""
    from kubernetes_asyncio import client

    name = f"t-{uuid.uuid4().hex[:8]}"
    core = client.CoreV1Api(kube)
    await core.create_namespace({"metadata": {"name": name}})
    yield name
    await core.delete_namespace(name)
