"""Connectivity questions over a cluster's cache: one connection explained, a namespace's matrix,
and the matrix of several namespaces by pod or by workload, as JSON or downloaded as CSV, Markdown
or SVG (``format``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app import analysis
from app.analysis.matrix_view import matrix_view
from app.api.auth import CallerDep
from app.api.common import AnalysisCluster, require_namespace
from app.api.schemas import (
    ConnectivityRequest,
    ConnectivityResult,
    EnforcementPart,
    GridAnswer,
    IPEnd,
    MatrixAnswer,
    PodEnd,
    ServiceEnd,
)
from app.errors import BadRequest
from app.policies.connection import IP, POD, SERVICE, End
from app.policies.matrix_export import EXPORT_LIMIT, FORMATS, Grid, attachment, by_pod, encoded
from app.policies.text import parse_port

router = APIRouter(tags=["analysis"])

PortQuery = Annotated[str, Query(min_length=1, max_length=15, description="A port number or a named port")]
ProtocolQuery = Annotated[Literal["TCP", "UDP", "SCTP"], Query()]

FormatQuery = Annotated[
    Literal["json", "csv", "md", "svg"],
    Query(description="json (the default), or a download: csv, md (Markdown) or svg (a picture)"),
]
MATRIX_LIMIT = 500  # pods of one namespace: 250,000 cells
# The downloads' media types beside the JSON answer, for the OpenAPI document.
DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {"content": {media.split(";")[0]: {"schema": {"type": "string"}} for media, _ in FORMATS.values()}}
}


def _download(grid: Grid, fmt: str) -> Response:
    body, media, headers = attachment(grid, fmt)
    return Response(body, media_type=media, headers=headers)


def _end(given: str | PodEnd | IPEnd | ServiceEnd) -> End:
    if isinstance(given, str):
        return End.read(given)
    if isinstance(given, PodEnd):
        return End(POD, given.pod)
    if isinstance(given, ServiceEnd):
        return End(SERVICE, given.service)
    return End(IP, given.ip)


@router.post(
    "/clusters/{cluster}/connectivity",
    # not "connectivity": that names the page, and url_for takes the first route of a name (the
    # API's routes come first); the operationId stays as it was
    name="api-connectivity",
    operation_id="connectivity_api_v1_clusters__cluster__connectivity_post",
    response_model=ConnectivityResult,
    summary="May one endpoint (a pod, an IP address) connect to another (a pod, a Service, an IP address), and why",
)
async def connectivity(body: ConnectivityRequest, caller: CallerDep, c: AnalysisCluster) -> ConnectivityResult:
    answer = analysis.check(c, _end(body.from_), _end(body.to), parse_port(body.port), body.protocol)
    return ConnectivityResult(
        allowed=answer.allowed,
        explanation=answer.lines(),
        details=answer.as_dict(),
        notes=[str(n) for n in answer.notes],
        summary=str(answer.service.summary) if answer.service is not None else None,
        enforcement=EnforcementPart(**analysis.holds(c, answer).as_dict()),
    )


@router.get(
    "/clusters/{cluster}/namespaces/{namespace}/reachability",
    response_model=MatrixAnswer,
    summary="Who may connect to whom among a namespace's pods on one port",
    responses=DOWNLOADS,
)
async def reachability(
    namespace: str,
    caller: CallerDep,
    c: AnalysisCluster,
    port: PortQuery,
    protocol: ProtocolQuery = "TCP",
    format: FormatQuery = "json",
) -> MatrixAnswer | Response:
    require_namespace(c, namespace)
    pods = len(c.cache.pods(namespace))
    if pods > MATRIX_LIMIT:
        # The answer grows with pods squared: bound it rather than let one call build megabytes.
        raise BadRequest(f"namespace {namespace} has {pods} pods; the matrix is served for at most {MATRIX_LIMIT}")
    m = analysis.matrix(c, namespace, parse_port(port), protocol)
    if format != "json":
        return _download(by_pod(m), format)
    data = m.as_dict()
    return MatrixAnswer(
        namespace=namespace, port=parse_port(port), protocol=protocol, pods=data["pods"], allowed=data["allowed"]
    )


@router.get(
    "/clusters/{cluster}/matrix",
    response_model=GridAnswer,
    summary="Who may connect to whom among the pods of some namespaces on one port, by pod or by workload",
    description="A cell counts the pod pairs of its row and column that may connect (a pod with itself "
    "included): allowed (all), denied (none) or mixed. By workload, the pods of a Deployment (through its "
    "ReplicaSet), StatefulSet, DaemonSet, Job or CronJob share a row; a bare pod stands alone.",
    responses=DOWNLOADS,
)
async def matrix(
    caller: CallerDep,
    c: AnalysisCluster,
    port: PortQuery,
    namespace: Annotated[
        list[str],
        Query(min_length=1, max_length=100, description="A namespace; repeat it. `*`: every namespace."),
    ],
    protocol: ProtocolQuery = "TCP",
    by: Annotated[Literal["workload", "pod"], Query()] = "workload",
    format: FormatQuery = "json",
) -> GridAnswer | Response:
    chosen = c.cache.namespace_names() if "*" in namespace else list(dict.fromkeys(namespace))
    for ns in chosen:
        require_namespace(c, ns)
    _, grid = matrix_view(c, chosen, parse_port(port), protocol, by, limit=EXPORT_LIMIT)
    if format != "json":
        return _download(grid, format)
    # GridAnswer's shape written straight from the grid's counts: a million cells as models
    # would take seconds (tests/api/test_matrix_api.py holds the answer to the model)
    return Response(encoded(grid, "json"), media_type="application/json")
