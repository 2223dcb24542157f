"""The matrix over the namespaces a person picks, by pod or grouped by workload (the pure grid and
its exports are app.policies.matrix_export): the owners of pods read from the cache, and the cells
whose answer does not hold on this cluster."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from app.analysis.snapshot import matrix_marks, namespace_pods, world
from app.cluster.cache import ClusterCache
from app.cluster.client import Cluster
from app.errors import BadRequest
from app.policies.documents import Pod
from app.policies.enforcement import DISABLED
from app.policies.matrix import Matrix
from app.policies.matrix import matrix as _matrix
from app.policies.matrix_export import BY_POD, Grid, Owner, Workload, by_pod, by_workload, workload_of
from app.policies.words import N_, Words

TOO_MANY = N_(
    "The matrix has {rows} rows, too many to download (at most {limit}): pick fewer namespaces or group by workload."
)


def controller(obj: Mapping[str, Any]) -> Owner | None:
    """The (kind, name) of an object's controller, from ``metadata.ownerReferences``."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if isinstance(ref, Mapping) and ref.get("controller") and ref.get("kind") and ref.get("name"):
            return str(ref["kind"]), str(ref["name"])
    return None


def pod_workloads(cluster: Cluster, pods: Iterable[Pod]) -> dict[str, Workload]:
    """Each pod's workload by ``ns/name``: its controller, a ReplicaSet taken up to its Deployment
    and a cached Job up to its CronJob; a pod without an owner read from its labels."""
    parents = {
        (job.namespace, "Job", job.name): owner
        for job in cluster.cache.workloads("jobs")
        if (owner := controller(job.object)) is not None
    }
    return {p.ref: workload_of(p, controller(getattr(p, "object", None) or {}), parents) for p in pods}


# What a matrix view is read from: the World's kinds, and Jobs (a pod's CronJob).
_KINDS = ("namespaces", "pods", "networkpolicies", "jobs")
KEPT_VIEWS = 4  # views kept per cluster (each its grid and its last export up to KEPT_EXPORT)
_ViewKey = tuple[tuple[int, ...], tuple[str, ...], int | str, str, str]
# cache → the latest views by (the kinds' versions, namespaces, port, protocol, by); weak so a
# closed cluster is forgotten. A change to any of the kinds changes the key: nothing stale is read.
_views: weakref.WeakKeyDictionary[ClusterCache, OrderedDict[_ViewKey, tuple[Matrix, Grid]]] = (
    weakref.WeakKeyDictionary()
)


def matrix_view(
    cluster: Cluster, namespaces: Iterable[str], port: int | str, protocol: str, by: str, limit: int | None = None
) -> tuple[Matrix, Grid]:
    """The matrix among the pods of ``namespaces`` and its grid ``by`` pod or workload;
    ``BadRequest`` when the grid would have more than ``limit`` rows (a pod's checked first).
    Computed once per version of the cache: asked again before a change, the same objects."""
    chosen = set(namespaces)
    cache = cluster.cache
    key: _ViewKey = (tuple(cache.kind_version(k) for k in _KINDS), tuple(sorted(chosen)), port, protocol, by)
    kept = _views.setdefault(cache, OrderedDict())
    found = kept.get(key)
    if found is None:
        pods = [p for p in namespace_pods(cluster, None) if p.namespace in chosen]
        if limit is not None and by == BY_POD and len(pods) > limit:
            raise BadRequest(Words(TOO_MANY, rows=str(len(pods)), limit=str(limit)))
        m = _matrix(world(cluster), port, protocol, pods)
        found = m, by_pod(m) if by == BY_POD else by_workload(m, pod_workloads(cluster, pods))
        kept[key] = found
        while len(kept) > KEPT_VIEWS:
            kept.popitem(last=False)
    kept.move_to_end(key)
    m, grid = found
    if limit is not None and len(grid.heads) > limit:
        raise BadRequest(Words(TOO_MANY, rows=str(len(grid.heads)), limit=str(limit)))
    return m, grid


def grid_marks(cluster: Cluster, m: Matrix, grid: Grid, shown: int | None = None) -> dict[tuple[str, str], Words]:
    """The grid's cells (by head key) holding a pod pair whose answer does not hold on this
    cluster, each with why (``matrix_marks``); with policies disabled every cell not all allowed.
    ``shown``: only the cells among the first rows and columns (each pair is decided again)."""
    heads = grid.heads[:shown]
    if cluster.cache.enforcement().state == "disabled":
        why = Words(DISABLED)
        return {
            (src.key, dst.key): why
            for src, counts in zip(heads, grid.allowed, strict=False)
            for dst, allowed, total in zip(heads, counts, grid.totals(len(src.pods)), strict=False)
            if allowed < total
        }
    head_of = {ref: head.key for head in heads for ref in head.pods}
    marks: dict[tuple[str, str], Words] = {}
    for (src, dst), why in matrix_marks(cluster, m, head_of if shown is not None else None).items():
        marks.setdefault((head_of[src], head_of[dst]), why)
    return marks
