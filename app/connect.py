"""Which clusters the console talks to, decided once at start-up.

Order, as the README states: ``--kubeconfig``/``--context``/``--in-cluster``/``--sandbox`` flags,
then ``$KUBECONFIG``, then ``~/.kube/config``, then the in-cluster service account; with none of
these the embedded sandbox cluster is started in-process and used like any other cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.cluster import ClusterRegistry
from app.config import Settings, in_cluster_available, kubeconfig_env
from app.sandbox import Sandbox


@dataclass
class ClusterSource:
    kind: str  # "kubeconfig" | "in-cluster" | "sandbox"
    kubeconfig: Path | None = None
    context: str | None = None


def choose_source(settings: Settings) -> ClusterSource:
    if settings.sandbox:
        return ClusterSource("sandbox")
    if settings.kubeconfig:
        return ClusterSource("kubeconfig", settings.kubeconfig, settings.context)
    if settings.in_cluster:
        return ClusterSource("in-cluster")
    env = kubeconfig_env()
    if env and env.exists():
        return ClusterSource("kubeconfig", env, settings.context)
    home = Path.home() / ".kube" / "config"
    if home.exists():
        return ClusterSource("kubeconfig", home, settings.context)
    if in_cluster_available():
        return ClusterSource("in-cluster")
    return ClusterSource("sandbox")


@dataclass
class Connections:
    registry: ClusterRegistry
    sandbox: Sandbox | None
    source: ClusterSource

    async def close(self) -> None:
        await self.registry.close()
        if self.sandbox is not None:
            await self.sandbox.stop()


async def connect(settings: Settings) -> Connections:
    """Open the clusters (starting the sandbox if that is the source) and start their caches."""
    source = choose_source(settings)
    sandbox: Sandbox | None = None
    if source.kind == "sandbox":
        sandbox = Sandbox(settings.sandbox_dir, port=settings.sandbox_port)
        await sandbox.start()
        source = ClusterSource("sandbox", sandbox.kubeconfig_path, "sandbox")
    namespaces = tuple(settings.namespace_list)
    if source.kind == "in-cluster":
        registry = ClusterRegistry.in_cluster(namespaces=namespaces)
    else:
        assert source.kubeconfig is not None
        registry = await ClusterRegistry.from_kubeconfig(source.kubeconfig, source.context, namespaces=namespaces)
    await registry.start()
    return Connections(registry, sandbox, source)
