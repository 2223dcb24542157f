"""What the API's routes share: the cluster of a path, checked once for what a route reads
(app/cluster/deps.py, the check the pages use too; its errors answer as problem+json), and a
policy's answer.

``KnownCluster`` is any cluster the console knows (no readiness asked); ``PolicyCluster``,
``NamespaceCluster``, ``PodCluster`` and ``AnalysisCluster`` are the cluster once its cache is
synced for the kinds those routes read."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request

from app.api.auth import Caller
from app.api.schemas import PolicyAnswer
from app.cluster.client import Cluster
from app.cluster.deps import reading
from app.editing import service as editing
from app.editing.authority import impersonation
from app.errors import NotFound
from app.policies.form import FormUnsupported, policy_to_form
from app.policies.model import NetworkPolicy

# As the API server takes it (``dryRun=All``); ``true`` as the policy routes always took it.
DryRunQuery = Annotated[
    Literal["All", "true", "false"] | None,
    Query(alias="dryRun", description="`All` (or `true`): validate and dry-run; store nothing."),
]


def is_dry(value: str | None) -> bool:
    return value in ("All", "true")


def api_writer(request: Request, caller: Caller) -> editing.Writer:
    """Who writes through the API: the services authorize (the operator role; for policies the
    whitelist gate when the admin turned it on for the API) and audit with ``via="api"``."""
    return editing.Writer(
        user=caller.user,
        via="api",
        sessions=request.app.state.sessions,
        as_user=impersonation(request.app.state.settings, caller.user),
    )


def known_cluster(request: Request, cluster: str) -> Cluster:
    """The named cluster (404 for an unknown one), whatever its cache's state."""
    found: Cluster = request.app.state.clusters.get(cluster)
    return found


KnownCluster = Annotated[Cluster, Depends(known_cluster)]
NamespaceCluster = Annotated[Cluster, Depends(reading("namespaces"))]
PodCluster = Annotated[Cluster, Depends(reading("namespaces", "pods"))]
PolicyCluster = Annotated[Cluster, Depends(reading("namespaces", "networkpolicies"))]
# What an answer about connections is computed from.
AnalysisCluster = Annotated[Cluster, Depends(reading("namespaces", "pods", "networkpolicies"))]


def require_namespace(cluster: Cluster, namespace: str) -> None:
    if cluster.cache.namespace(namespace) is None:
        raise NotFound(f'namespaces "{namespace}" not found')


def object_of(policy: NetworkPolicy) -> dict[str, Any]:
    """The policy as the API server's JSON, without managedFields."""
    obj = policy.to_dict()
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    return {**obj, "metadata": meta}


def policy_answer(
    policy: NetworkPolicy, warnings: list[str] | None = None, *, dry_run: bool = False
) -> PolicyAnswer:
    try:
        form: dict[str, Any] | None = policy_to_form(policy).model_dump()
        why = None
    except FormUnsupported as exc:
        form, why = None, str(exc)
    return PolicyAnswer(
        object=object_of(policy),
        form=form,
        formUnsupported=why,
        warnings=list(warnings or []),
        dryRun=dry_run,
    )


def etag(resource_version: str | None) -> str:
    return f'"{resource_version}"' if resource_version else ""


def digest_etag(value: Any) -> str:
    """An ETag that digests ``value`` (JSON): for objects whose resourceVersion moves without a
    change the caller can see or make (a namespace's, a workload's status updates)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


def if_match(request: Request) -> str | None:
    """The resourceVersion an ``If-Match`` header names (``"123"``, ``W/"123"`` or ``123``)."""
    value = request.headers.get("if-match", "").strip()
    if not value or value == "*":
        return None
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') or None
