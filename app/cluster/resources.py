"""The Kubernetes resources the console reads and writes, and their REST paths."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from app.errors import BadRequest


@dataclass(frozen=True)
class Resource:
    kind: str  # "Deployment"
    plural: str  # "deployments"
    group_version: str  # "v1", "apps/v1"
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return self.group_version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The REST path of the collection (``namespace`` None: every namespace) or of one object."""
        base = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
        return base


_ALL = (
    Resource("Namespace", "namespaces", "v1", namespaced=False),
    Resource("Node", "nodes", "v1", namespaced=False),
    Resource("Pod", "pods", "v1"),
    Resource("Service", "services", "v1"),
    Resource("ConfigMap", "configmaps", "v1"),
    Resource("ServiceAccount", "serviceaccounts", "v1"),
    Resource("Deployment", "deployments", "apps/v1"),
    Resource("StatefulSet", "statefulsets", "apps/v1"),
    Resource("DaemonSet", "daemonsets", "apps/v1"),
    Resource("Job", "jobs", "batch/v1"),
    Resource("CronJob", "cronjobs", "batch/v1"),
    Resource("NetworkPolicy", "networkpolicies", "networking.k8s.io/v1"),
)

RESOURCES: dict[str, Resource] = {r.plural: r for r in _ALL}
WORKLOAD_KINDS: tuple[str, ...] = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")

_LOOKUP: dict[str, Resource] = {}
for _r in _ALL:
    _LOOKUP[_r.plural] = _LOOKUP[_r.kind.lower()] = _r


def resource(kind: str) -> Resource:
    """The resource for a kind or plural name, case-insensitive ("Pod", "pods")."""
    found = _LOOKUP.get(kind.lower())
    if found is None:
        raise BadRequest(f"unsupported resource kind {kind!r}")
    return found
