"""Namespace routes: list and read (from the watch-fed cache), create with labels, change the
labels, delete — through ``app.workloads.service`` (operator role, dry runs first, system
namespaces kept, audited with ``via="api"``).

The ETag of a namespace is a digest of its labels, the one thing PATCH changes, so that it means
"the namespace as you saw it" (its resourceVersion would not: the namespace controller moves it).
``If-Match`` on PATCH and DELETE: when the labels are no longer those, 409 Conflict, as a stale
resourceVersion is for NetworkPolicies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from app.api import paging
from app.api.auth import CallerDep, WriterDep
from app.api.common import DryRunQuery, NamespaceCluster, api_writer, digest_etag, if_match, is_dry
from app.api.paging import ContinueQuery, LimitQuery
from app.api.schemas import ListMeta, NamespaceAnswer, NamespaceIn, NamespaceLabelsIn, NamespaceList
from app.cluster.client import Cluster
from app.cluster.records import namespace_record
from app.errors import Conflict, NotFound
from app.workloads import service
from app.workloads.namespaces import NAME_LABEL, namespace_row

router = APIRouter(tags=["namespaces"])

BASE = "/clusters/{cluster}/namespaces"
ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "A digest of the namespace's labels, quoted."}}


def labels_etag(labels: Mapping[str, str]) -> str:
    return digest_etag(dict(labels))


def _answer(c: Cluster, obj: Mapping[str, Any], *, warnings: list[str] | None = None,
            dry_run: bool = False) -> NamespaceAnswer:  # fmt: skip
    ns = namespace_record(obj)
    row = namespace_row(ns, ns.phase, ns.created, c.cache.pods(ns.name), c.cache.network_policies(ns.name),
                        datetime.now(UTC))  # fmt: skip
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"}
    return NamespaceAnswer(
        metadata=meta,
        spec=dict(obj.get("spec") or {}),
        status={**(obj.get("status") or {}), "phase": row.phase},
        pods=row.pods,
        networkPolicies=row.policies,
        defaultDeny={d: list(names) for d, names in row.default_deny.items()},
        warnings=list(warnings or []),
        dryRun=dry_run,
    )


async def _checked(request: Request, c: Cluster, name: str, caller: Any) -> dict[str, str] | None:
    """The labels the caller's ``If-Match`` names, read live (None without one); Conflict when
    the namespace holds others now."""
    wanted = if_match(request)
    if wanted is None:
        return None
    current = await c.get_object("Namespace", None, name, as_user=api_writer(request, caller).as_user)
    labels = {str(k): str(v) for k, v in ((current.get("metadata") or {}).get("labels") or {}).items()}
    if labels_etag(labels).strip('"') != wanted:
        raise Conflict(f"namespace {name} changed since it was read (If-Match {wanted}): its labels differ now")
    return labels


@router.get(BASE, response_model=NamespaceList, summary="Namespaces of a cluster")
async def list_namespaces(
    caller: CallerDep, c: NamespaceCluster, limit: LimitQuery = None, continue_: ContinueQuery = None
) -> NamespaceList:
    items, more = paging.page(c.cache.namespaces(), lambda n: n.name, f"{c.name}/namespaces", limit, continue_)
    return NamespaceList(items=[_answer(c, n.object) for n in items], metadata=ListMeta(continue_=more))


@router.get(
    BASE + "/{name}",
    response_model=NamespaceAnswer,
    summary="One Namespace (ETag: a digest of its labels)",
    responses={200: {"headers": ETAG_HEADER}},
)
async def get_namespace(response: Response, name: str, caller: CallerDep, c: NamespaceCluster) -> NamespaceAnswer:
    found = c.cache.namespace(name)
    if found is None:
        raise NotFound(f'namespaces "{name}" not found')
    response.headers["ETag"] = labels_etag(found.labels)
    return _answer(c, found.object)


@router.post(
    BASE,
    response_model=NamespaceAnswer,
    status_code=201,
    summary="Create a Namespace with labels",
    responses={200: {"description": "A dry run: what would be stored.", "model": NamespaceAnswer}},
)
async def create_namespace(
    request: Request, response: Response, body: NamespaceIn, caller: WriterDep, c: NamespaceCluster,
    dry_run: DryRunQuery = None,
) -> NamespaceAnswer:  # fmt: skip
    dry = is_dry(dry_run)
    done = await service.create_namespace(c, body.name, body.labels, dry_run=dry, writer=api_writer(request, caller))
    response.status_code = 200 if dry else 201
    answer = _answer(c, done.object, warnings=done.warnings, dry_run=dry)
    response.headers["ETag"] = labels_etag(answer.metadata.get("labels") or {})
    return answer


@router.patch(
    BASE + "/{name}",
    response_model=NamespaceAnswer,
    summary="Change a Namespace's labels",
    description="With `If-Match` (the ETag read), only when the labels are still those (else 409).",
    responses={200: {"headers": ETAG_HEADER}},
)
async def patch_namespace(
    request: Request, response: Response, name: str, body: NamespaceLabelsIn, caller: WriterDep,
    c: NamespaceCluster, dry_run: DryRunQuery = None,
) -> NamespaceAnswer:  # fmt: skip
    expected = await _checked(request, c, name, caller)
    labels = {**body.labels, NAME_LABEL: name}
    done = await service.relabel_namespace(c, name, labels, expected=expected, dry_run=is_dry(dry_run),
                                           writer=api_writer(request, caller))  # fmt: skip
    answer = _answer(c, done.object, warnings=done.warnings, dry_run=is_dry(dry_run))
    response.headers["ETag"] = labels_etag(answer.metadata.get("labels") or {})
    return answer


@router.delete(
    BASE + "/{name}",
    status_code=204,
    response_class=Response,
    summary="Delete a Namespace and everything in it",
    description="The system namespaces (default, kube-system, kube-public, kube-node-lease) are refused (403). "
    "With `If-Match` (the ETag read), only when the labels are still those (else 409).",
)
async def delete_namespace(
    request: Request, name: str, caller: WriterDep, c: NamespaceCluster, dry_run: DryRunQuery = None
) -> Response:
    await _checked(request, c, name, caller)
    await service.delete_namespace(c, name, typed=name, dry_run=is_dry(dry_run), writer=api_writer(request, caller))
    return Response(status_code=204)
