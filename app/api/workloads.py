"""Workload routes (the list is ``app.api.clusters``'): create from image
(a Deployment, optionally its Service, all or nothing); read, change (pod labels, replicas) and
delete one — through ``app.workloads.service`` (operator role, dry runs first, audited with
``via="api"``).

The ETag of a workload is a digest of what PATCH changes (its pod labels and replicas), so that it
means "the workload as you saw it": its resourceVersion moves with every status update.
``If-Match`` on PATCH and DELETE: when those are no longer what the ETag says, 409 Conflict, as a
stale resourceVersion is for NetworkPolicies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.analysis.workloads import PLURALS, desired_replicas, find_workload, workload_pods, workload_row
from app.api.auth import CallerDep, WriterDep
from app.api.common import DryRunQuery, api_writer, digest_etag, if_match, is_dry
from app.cluster.client import Cluster
from app.cluster.deps import reading
from app.cluster.records import WorkloadRecord, record
from app.errors import Conflict, NotFound
from app.policies.workloads import WORKLOAD_TYPES
from app.workloads import service
from app.workloads.objects import ContainerPort, ImageApp, ServicePort, ServiceSpec

router = APIRouter(tags=["workloads"])

BASE = "/clusters/{cluster}/namespaces/{namespace}/workloads"
ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "A digest of the pod labels and replicas."}}
WorkloadCluster = Annotated[
    Cluster, Depends(reading("namespaces", "pods", "networkpolicies", *(p for p, _, _ in WORKLOAD_TYPES)))
]
Kind = Literal["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]
Protocol = Literal["TCP", "UDP", "SCTP"]


# ----- schemas -----


class ContainerPortIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    port: int = Field(ge=1, le=65535, examples=[80])
    protocol: Protocol = "TCP"


class ServicePortIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    port: int = Field(ge=1, le=65535, examples=[80])
    targetPort: int = Field(ge=1, le=65535, examples=[80])
    protocol: Protocol = "TCP"


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=63, examples=["nginx"])
    type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    ports: list[ServicePortIn] = Field(min_length=1)


class ImageAppIn(BaseModel):
    """Create from image, as ACK's Stateless page: a Deployment and optionally its Service."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=63, examples=["nginx"])
    image: str = Field(min_length=1, examples=["nginx:latest"])
    replicas: int = Field(1, ge=0, le=1000)
    ports: list[ContainerPortIn] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict, description="The pods' labels; `app=<name>` when empty.")
    service: ServiceIn | None = None


class WorkloadPatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    labels: dict[str, str] | None = Field(
        None, description="All the labels the pods should get (the pod template's): the pods are replaced."
    )
    replicas: int | None = Field(None, ge=0, le=1000, description="Deployments and StatefulSets only.")


class PodOut(BaseModel):
    name: str
    ip: str | None
    node: str
    phase: str
    ready: bool


class WorkloadAnswer(BaseModel):
    """A workload as the console knows it: its pod labels, replicas, pods and the policies that
    select them per direction (Ingress, Egress)."""

    kind: str
    namespace: str
    name: str
    labels: dict[str, str]
    podLabels: dict[str, str]
    replicas: int | None
    ready: int
    pods: list[PodOut]
    policies: dict[str, list[str]]
    object: dict[str, Any]
    warnings: list[str] = Field(default_factory=list)
    dryRun: bool = False


class CreatedAnswer(BaseModel):
    """What Create from image stored (or, with dryRun, would store): the Deployment, then the Service."""

    objects: list[dict[str, Any]]
    warnings: list[str] = Field(default_factory=list)
    dryRun: bool = False


# ----- answers -----


def workload_etag(pod_labels: Mapping[str, str], replicas: int | None) -> str:
    return digest_etag({"labels": dict(pod_labels), "replicas": replicas})


def _plain(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The object as the API server gave it, without managedFields."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "managedFields"}
    return {**obj, "metadata": meta}


def _record(kind: str, obj: Mapping[str, Any]) -> WorkloadRecord:
    found = record(PLURALS[kind], kind, obj)
    assert isinstance(found, WorkloadRecord)
    return found


def _answer(c: Cluster, kind: str, w: WorkloadRecord, *, warnings: list[str] | None = None,
            dry_run: bool = False) -> WorkloadAnswer:  # fmt: skip
    pods = workload_pods(w, c.cache.pods(w.namespace))
    row = workload_row(c, w, pods)
    return WorkloadAnswer(
        kind=kind,
        namespace=w.namespace,
        name=w.name,
        labels=dict(w.labels),
        podLabels=dict(w.pod_labels),
        replicas=row.desired,
        ready=row.ready,
        pods=[PodOut(name=p.name, ip=p.pod_ip, node=p.node, phase=p.phase, ready=p.ready) for p in pods],
        policies=row.by_direction,
        object=_plain(w.object),
        warnings=list(warnings or []),
        dryRun=dry_run,
    )


def _cached(c: Cluster, kind: str, namespace: str, name: str) -> WorkloadRecord:
    found = find_workload(c, kind, namespace, name)
    if found is None:
        raise NotFound(f'{kind} "{name}" not found in namespace {namespace}')
    return found


async def _checked(
    request: Request, c: Cluster, kind: str, namespace: str, name: str, caller: Any
) -> WorkloadRecord | None:
    """The workload read live when the caller sent ``If-Match`` (None without one); Conflict when
    its pod labels or replicas differ now from what the ETag names."""
    wanted = if_match(request)
    if wanted is None:
        return None
    live = _record(kind, await c.get_object(kind, namespace, name, as_user=api_writer(request, caller).as_user))
    if workload_etag(live.pod_labels, desired_replicas(live)).strip('"') != wanted:
        raise Conflict(
            f"{kind} {name} changed since it was read (If-Match {wanted}): its labels or replicas differ now"
        )
    return live


# ----- routes -----


@router.post(
    BASE,
    response_model=CreatedAnswer,
    status_code=201,
    summary="Create from image: a Deployment and, optionally, its Service",
    description="All or nothing: both are dry-run first; when the Service is refused nothing is stored.",
    responses={200: {"description": "A dry run: what would be stored.", "model": CreatedAnswer}},
)
async def create_from_image(
    request: Request, response: Response, namespace: str, body: ImageAppIn, caller: WriterDep, c: WorkloadCluster,
    dry: DryRunQuery = None,
) -> CreatedAnswer:  # fmt: skip
    dry_run = is_dry(dry)
    spec = None
    if body.service is not None:
        ports = tuple(ServicePort(p.port, p.targetPort, p.protocol) for p in body.service.ports)
        spec = ServiceSpec(body.service.name, body.service.type, ports)
    app = ImageApp(namespace, body.name, body.image, body.replicas,
                   tuple(ContainerPort(p.port, p.protocol) for p in body.ports), body.labels, spec)  # fmt: skip
    done = await service.create_from_image(c, app, dry_run=dry_run, writer=api_writer(request, caller))
    response.status_code = 200 if dry_run else 201
    warnings = [w for r in done for w in r.warnings]
    return CreatedAnswer(objects=[_plain(r.object) for r in done], warnings=warnings, dryRun=dry_run)


@router.get(
    BASE + "/{kind}/{name}",
    response_model=WorkloadAnswer,
    summary="One workload (ETag: a digest of its pod labels and replicas)",
    responses={200: {"headers": ETAG_HEADER}},
)
async def get_workload(
    response: Response, namespace: str, kind: Kind, name: str, caller: CallerDep, c: WorkloadCluster
) -> WorkloadAnswer:
    w = _cached(c, kind, namespace, name)
    response.headers["ETag"] = workload_etag(w.pod_labels, desired_replicas(w))
    return _answer(c, kind, w)


@router.patch(
    BASE + "/{kind}/{name}",
    response_model=WorkloadAnswer,
    summary="Change a workload's pod labels and/or replicas",
    description="With `If-Match` (the ETag read), only when the pod labels and replicas are still those (else 409).",
    responses={200: {"headers": ETAG_HEADER}},
)
async def patch_workload(
    request: Request, response: Response, namespace: str, kind: Kind, name: str, body: WorkloadPatchIn,
    caller: WriterDep, c: WorkloadCluster, dry: DryRunQuery = None,
) -> WorkloadAnswer:  # fmt: skip
    dry_run = is_dry(dry)
    live = await _checked(request, c, kind, namespace, name, caller)
    writer = api_writer(request, caller)
    done = None
    if body.replicas is not None:
        expected = desired_replicas(live) if live is not None else None
        done = await service.scale(c, kind, namespace, name, body.replicas, expected=expected, dry_run=dry_run,
                                   writer=writer)  # fmt: skip
    if body.labels is not None:
        seen = dict(live.pod_labels) if live is not None else None
        done = await service.relabel_workload(c, kind, namespace, name, body.labels, expected=seen,
                                              dry_run=dry_run, writer=writer)  # fmt: skip
    w = _record(kind, done.object) if done is not None else _record(kind, await c.get_object(
        kind, namespace, name, as_user=writer.as_user))  # fmt: skip
    response.headers["ETag"] = workload_etag(w.pod_labels, desired_replicas(w))
    return _answer(c, kind, w, warnings=done.warnings if done is not None else None, dry_run=dry_run)


@router.delete(
    BASE + "/{kind}/{name}",
    status_code=204,
    response_class=Response,
    summary="Delete a workload (its pods go with it)",
    description="With `If-Match` (the ETag read), only when the pod labels and replicas are still those (else 409).",
)
async def delete_workload(
    request: Request, namespace: str, kind: Kind, name: str, caller: WriterDep, c: WorkloadCluster,
    dry: DryRunQuery = None,
) -> Response:  # fmt: skip
    await _checked(request, c, kind, namespace, name, caller)
    await service.delete_workload(c, kind, namespace, name, typed=name, dry_run=is_dry(dry),
                                  writer=api_writer(request, caller))  # fmt: skip
    return Response(status_code=204)
