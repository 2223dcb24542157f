"""Which clusters exist: every context of a kubeconfig, or the in-cluster service account.

A cluster is identified by its kubeconfig context name (``in-cluster`` for the service account).
A context whose credentials cannot be loaded still appears, as a cluster whose calls raise
Unavailable and whose readiness says why, so one broken context does not hide the others.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml
from kubernetes_asyncio.client import ApiClient, Configuration
from kubernetes_asyncio.config import load_incluster_config, load_kube_config

from app.cluster.client import POOL_SIZE, Cluster
from app.cluster.errors import map_exception, translated
from app.errors import DomainError, NotFound, Unavailable

IN_CLUSTER = "in-cluster"
CLOSE_GRACE = 0.25  # seconds


def _client(configuration: Configuration) -> ApiClient:
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize or 0, POOL_SIZE)
    return ApiClient(configuration)


def _context_names(path: Path) -> list[str]:
    """The context names of a kubeconfig, read directly so that a file without
    ``current-context`` (which kubectl accepts with --context) still lists them."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise Unavailable(f"kubeconfig {path} cannot be read: {exc}") from None
    contexts = data.get("contexts") if isinstance(data, dict) else None
    if not isinstance(contexts, list):
        raise Unavailable(f"kubeconfig {path} is not a valid kubeconfig: it has no list of contexts")
    return [str(c["name"]) for c in contexts if isinstance(c, dict) and c.get("name")]


class ClusterRegistry:
    """The clusters the console manages, in a stable order."""

    def __init__(self, clusters: list[Cluster], *, source: str = "") -> None:
        self._clusters: dict[str, Cluster] = {c.name: c for c in clusters}
        self.source = source  # the kubeconfig path, or "in-cluster"

    @classmethod
    async def from_kubeconfig(
        cls, path: Path | str, context: str | None = None, *, namespaces: tuple[str, ...] = ()
    ) -> ClusterRegistry:
        """Every context of the kubeconfig at ``path`` (only ``context`` when given); with
        ``namespaces``, each cluster's cache covers only those."""
        path = Path(path).expanduser()
        if not path.is_file():
            raise NotFound(f"kubeconfig {path} not found")
        names = _context_names(path)
        if context is not None:
            if context not in names:
                raise NotFound(f"context {context!r} not found in kubeconfig {path}")
            names = [context]
        clusters = [await cls._load_context(path, name, namespaces) for name in names]
        return cls(clusters, source=str(path))

    @staticmethod
    async def _load_context(path: Path, name: str, namespaces: tuple[str, ...] = ()) -> Cluster:
        configuration = Configuration()
        try:
            await load_kube_config(
                config_file=str(path), context=name, client_configuration=configuration, persist_config=False
            )
        except Exception as exc:
            mapped = map_exception(exc, what=f"context {name!r}") or exc
            return Cluster(name, None, load_error=str(mapped), namespaces=namespaces)
        return Cluster(name, _client(configuration), namespaces=namespaces)

    @classmethod
    def in_cluster(cls, *, namespaces: tuple[str, ...] = ()) -> ClusterRegistry:
        """The cluster this process runs in (service account token and CA); Unavailable outside one."""
        configuration = Configuration()
        with translated("in-cluster configuration"):
            load_incluster_config(client_configuration=configuration)
        return cls([Cluster(IN_CLUSTER, _client(configuration), namespaces=namespaces)], source=IN_CLUSTER)

    def names(self) -> list[str]:
        return list(self._clusters)

    def get(self, name: str) -> Cluster:
        try:
            return self._clusters[name]
        except KeyError:
            raise NotFound(f"cluster {name!r} not found") from None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._clusters.values())

    def __len__(self) -> int:
        return len(self._clusters)

    async def start(self) -> None:
        """Start every cluster's cache; does not wait for them to sync."""
        for cluster in self._clusters.values():
            await cluster.cache.start()

    async def wait_ready(self, timeout: float) -> bool:
        results = await asyncio.gather(*(c.cache.wait_ready(timeout) for c in self._clusters.values()))
        return all(results)

    async def close(self) -> None:
        for cluster in self._clusters.values():
            try:
                await cluster.close()
            except DomainError:
                pass  # closing a client whose server is gone is not worth reporting
        # TLS connections finish their close handshake on the event loop; give them a moment
        # (aiohttp's advice for a graceful shutdown) so none is left for the garbage collector.
        await asyncio.sleep(CLOSE_GRACE)

    def readiness(self) -> dict[str, dict[str, Any]]:
        """Per cluster: ``{"ready", "state", "kinds", "error"}`` (see ClusterCache.readiness)."""
        return {name: c.cache.readiness() for name, c in self._clusters.items()}

    @property
    def ready(self) -> bool:
        return all(c.cache.ready for c in self._clusters.values())
