"""``Sandbox``: the sandbox cluster served by uvicorn over TLS inside the running event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from app.sandbox.api import build_app
from app.sandbox.controller import Controller
from app.sandbox.registry import Registry
from app.sandbox.seed import seed as seed_objects
from app.sandbox.store import Store
from app.sandbox.tls import ensure_credentials, write_kubeconfig


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal handlers: whoever runs the loop decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Sandbox:
    """A Kubernetes-API-compatible server whose state lives in ``data_dir``.

    ``start()`` serves in the running loop (``port=0`` picks a free port; ``self.port`` is then the
    real one) and writes ``data_dir / "kubeconfig"`` (context, cluster and user ``sandbox``).
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 6443,
        pod_cidr: str = "10.244.0.0/16",
        seed: bool = True,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.host, self.port, self.pod_cidr, self.seed = host, port, pod_cidr, seed
        self.kubeconfig_path = self.data_dir / "kubeconfig"
        self.token = ""
        self.store: Store | None = None
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"https://{host}:{self.port}"

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        creds = ensure_credentials(self.data_dir, self.host)
        self.token = creds.token
        store = Store(self.data_dir / "sandbox.db")
        registry = Registry(store)
        controller = Controller(registry, self.pod_cidr)
        if store.fresh:
            seed_objects(registry, demo=self.seed)
        controller.resync()
        self.store = store

        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it
        sock.bind((self.host, self.port))
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        app = build_app(store, registry, creds.token, f"{self.host}:{self.port}")
        config = uvicorn.Config(
            app,
            ssl_certfile=str(creds.server_cert),
            ssl_keyfile=str(creds.server_key),
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=2,
            proxy_headers=False,
            server_header=False,
        )
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the sandbox server stopped while starting")
            await asyncio.sleep(0.01)
        write_kubeconfig(self.kubeconfig_path, self.url, creds)

    async def stop(self) -> None:
        if self.store is not None:
            self.store.close_watches()  # open watches end, so the server can shut down promptly
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.store is not None:
            self.store.dispose()
        self._server = self._task = None
        self.store = None
