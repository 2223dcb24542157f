"""Connectivity analysis over a cluster's watch-fed cache.

``world(cluster)`` is a ``reachability.World`` snapshot of the cache's Namespaces, Pods and
NetworkPolicies, rebuilt only when one of those kinds changed (memoized on the cache's per-kind
versions), so repeated page and API requests share one. The helpers answer the pages' questions
(and, later, the REST API's) over that snapshot: ``explain`` one connection (``check`` one whose
ends may be a Service or an address), the ``matrix`` of a namespace, a policy's ``selected_pods``
and ``resolved_peers``, and the pods ``unprotected_after_delete``.
"""

from __future__ import annotations

from app.analysis.snapshot import (
    PeerPods,
    RulePeers,
    check,
    explain,
    holds,
    matrix,
    matrix_marks,
    namespace_pods,
    pod_nodes,
    policies_selecting,
    resolved_peers,
    review_note,
    selected_pods,
    service,
    services,
    unprotected_after_delete,
    world,
)

__all__ = [
    "PeerPods",
    "RulePeers",
    "check",
    "explain",
    "holds",
    "matrix",
    "namespace_pods",
    "pod_nodes",
    "policies_selecting",
    "resolved_peers",
    "review_note",
    "selected_pods",
    "service",
    "services",
    "matrix_marks",
    "unprotected_after_delete",
    "world",
]
