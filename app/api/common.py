"""What the API's routes share: the cluster of a path, its synced cache, a policy's answer."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from app.api.schemas import PolicyAnswer
from app.errors import Forbidden, NotFound, Unavailable
from app.policies.form import FormUnsupported, policy_to_form
from app.policies.model import NetworkPolicy

CACHE_WAIT_SECONDS = 5.0


def cluster_of(request: Request, name: str) -> Any:
    """The named cluster (404 for an unknown one)."""
    return request.app.state.clusters.get(name)


async def synced(request: Request, name: str, *kinds: str) -> Any:
    """The named cluster, once its cache is synced; 503 when it cannot be (reads come from the
    cache, and a cache that lost its API server must not pass for an empty cluster). A kind of
    ``kinds`` the console may not list or watch there is 403 with the API server's words; kinds
    a route does not need never stand in its way."""
    cluster = cluster_of(request, name)
    cache = cluster.cache
    if not cache.ready and cache.state != "error":
        await cache.wait_ready(CACHE_WAIT_SECONDS)
    if not cache.ready:
        error = cache.readiness().get("error") or cache.state
        raise Unavailable(f"cluster {name!r} cannot be read right now: {error}")
    unreadable = cache.unreadable()
    for kind in kinds:
        if kind in unreadable:
            raise Forbidden(f"the console may not read {kind} in cluster {name!r}: {unreadable[kind]}")
    return cluster


def require_namespace(cluster: Any, namespace: str) -> None:
    if cluster.cache.get("namespaces", None, namespace) is None:
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


def if_match(request: Request) -> str | None:
    """The resourceVersion an ``If-Match`` header names (``"123"``, ``W/"123"`` or ``123``)."""
    value = request.headers.get("if-match", "").strip()
    if not value or value == "*":
        return None
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') or None
