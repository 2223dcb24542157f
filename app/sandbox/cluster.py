"""``Sandbox``: the upstream Kubernetes control plane with KWOK nodes, run as a child process.

``localcluster up`` (built by ``app.sandbox.build``) runs etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and KWOK from upstream code; this class starts it, waits
for it to say it is ready, and on the first start of a data dir applies the demo manifests.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
from pathlib import Path

from app.sandbox.build import Progress, ensure_binary
from app.sandbox.demo import apply_demo

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """A ``preexec_fn``: the child gets SIGTERM when the process that started it dies, so a
    cluster never outlives whoever started it, even if that process is killed."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class SandboxError(RuntimeError):
    """The sandbox cluster did not start; the message says why and where its logs are."""


class Sandbox:
    """The sandbox cluster whose state (etcd, certificates, logs, kubeconfig) lives in ``data_dir``.

    ``start()`` returns once the API server answers and ``data_dir / "kubeconfig"`` (context,
    cluster and user ``sandbox``, an admin client certificate) is written; ``port=0`` picks a free
    port (``self.port`` is then the real one); ``apiserver_args`` are extra kube-apiserver flags
    (e.g. ``--watch-cache=false``); ``component_args`` extra flags of the other components as
    ``NAME=--flag`` (e.g. ``kube-controller-manager=--kube-api-qps=500``). ``stop()`` ends every
    component.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 6443,
        seed: bool = True,
        progress: Progress = print,
        apiserver_args: tuple[str, ...] = (),
        component_args: tuple[str, ...] = (),
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.host, self.port, self.seed, self.progress = host, port, seed, progress
        self.apiserver_args = apiserver_args
        self.component_args = component_args
        self.kubeconfig_path = self.data_dir / "kubeconfig"
        self.url = ""
        self._proc: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    async def start(self, timeout: float = 180) -> None:
        binary = await ensure_binary(self.progress)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._proc = await asyncio.create_subprocess_exec(
            str(binary), "up", "--data-dir", str(self.data_dir), "--host", self.host, "--port", str(self.port),
            *(f"--apiserver-arg={arg}" for arg in self.apiserver_args),
            *(f"--component-arg={arg}" for arg in self.component_args),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )  # fmt: skip
        try:
            await asyncio.wait_for(self._wait_ready(), timeout)
        except (TimeoutError, SandboxError):
            await self.stop()
            raise
        if self.seed and not (self.data_dir / "demo-applied").exists():
            try:
                await apply_demo(self.kubeconfig_path)
            except BaseException:
                await self.stop()
                raise
            (self.data_dir / "demo-applied").write_text("the demo manifests were applied once\n")

    async def _wait_ready(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        said: list[str] = []
        async for raw in self._proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            said.append(line)
            if line.startswith("ready "):
                self.url = line.split()[1]
                self.port = int(self.url.rsplit(":", 1)[1])
                self._drain = asyncio.create_task(self._discard(self._proc.stdout))
                return
        await self._proc.wait()
        raise SandboxError(
            f"the sandbox cluster exited with {self._proc.returncode}:\n" + "\n".join(said[-20:])
            + f"\n(component logs: {self.log_dir})"
        )

    @staticmethod
    async def _discard(stream: asyncio.StreamReader) -> None:
        while await stream.read(65536):
            pass

    async def stop(self, grace: float = 30) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
            self._drain = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None


